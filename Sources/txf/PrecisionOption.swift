import ArgumentParser
import TxfCore
import TxfMatmul
import TxfTrain

/// `--precision` of `txf predict` and `txf evaluate`: txf-train's setting (`TrainSetting`).
struct PrecisionOption: ParsableArguments {
    @Option(help: ArgumentHelp(TrainSetting.named(["precision"])[0].help))
    var precision: Precision = .auto

    /// The precision this CPU runs, and why (its `startupLine` goes to standard error).
    func resolved() throws -> PrecisionChoice { try precision.resolve(cpu: .current(), engine: .probe()) }
}

extension Precision: ExpressibleByArgument {}
