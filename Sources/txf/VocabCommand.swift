import ArgumentParser
import TxfCore

struct Vocab: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "vocab", abstract: "(not built yet)")
    func run() throws { throw TxfError("txf vocab is not built yet") }
}
