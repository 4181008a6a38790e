import ArgumentParser
import TxfCore

struct Prepare: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prepare", abstract: "(not built yet)")
    func run() throws { throw TxfError("txf prepare is not built yet") }
}
