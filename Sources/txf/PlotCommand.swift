import ArgumentParser
import TxfTrain

struct Plot: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Plot a run's metrics.jsonl as an SVG: training loss, learning rate and evaluation metrics against step.",
        discussion: """
            Reads <run-dir>/metrics.jsonl (what txf-train writes into --out) and writes one SVG that \
            a browser opens: a loss panel (train and eval loss), the learning rate, and every \
            other numeric eval field (accuracy, …). txf-train writes <run-dir>/metrics.svg itself \
            at the end of a run; this redraws it at any time, during the run too. The same \
            curves are TensorBoard scalars in the run directory: tensorboard --logdir runs/

            Example:
              txf plot runs/sst2
              txf plot runs/sst2 --output sst2.svg
            """)

    @Argument(help: ArgumentHelp("Run directory (txf-train --out) holding metrics.jsonl.", valueName: "run-dir"))
    var runDirectory: String

    @Option(help: "SVG file to write (default: <run-dir>/metrics.svg).")
    var output: String?

    func run() throws {
        print("wrote \(try MetricsPlot.write(runDirectory: runDirectory, output: output))")
    }
}
