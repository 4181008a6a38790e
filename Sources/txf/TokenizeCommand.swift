import ArgumentParser
import TxfCore

struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tokenize", abstract: "(not built yet)")
    func run() throws { throw TxfError("txf tokenize is not built yet") }
}
