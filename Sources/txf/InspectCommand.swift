import ArgumentParser
import TxfCore

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "(not built yet)")
    func run() throws { throw TxfError("txf inspect is not built yet") }
}
