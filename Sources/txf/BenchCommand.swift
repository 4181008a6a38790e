import ArgumentParser
import TxfCore

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "(not built yet)")
    func run() throws { throw TxfError("txf bench is not built yet") }
}
