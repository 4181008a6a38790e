import Foundation
import TxfStore

/// What rank 0 prints when training ends (at the last step, or stopped by a signal): how far
/// the run got, how long it took, its best evaluation and where its files are.
///
///     run summary
///       steps        2000/2000 (1980 in this run, resumed at step 20)
///       wall time    3m12s
///       best         accuracy 87.50% at step 1500
///       best model   runs/sst2/best.h5
///       final model  runs/sst2/final.h5
///       checkpoint   runs/sst2/step-00002000.h5 (newest)
///       config       runs/sst2/config.json
///
/// Lines with nothing to say (no `--eval`, no step checkpoint) are left out.
public struct RunSummary: Sendable, Equatable {
    /// Steps done, of `totalSteps`.
    public var step: Int
    public var totalSteps: Int
    /// The step this process started training from (0, or the resumed checkpoint's).
    public var startStep: Int
    /// Seconds the command ran, setup included.
    public var seconds: Double
    /// The best evaluation by `--metric-for-best` (the one `best.h5` holds); nil when none.
    public var best: BestEvaluation?
    public var bestModel: String?
    public var finalModel: String?
    public var newestCheckpoint: String?
    public var config: String?

    public init(step: Int, totalSteps: Int, startStep: Int, seconds: Double, best: BestEvaluation?,
                bestModel: String?, finalModel: String?, newestCheckpoint: String?, config: String?) {
        self.step = step
        self.totalSteps = totalSteps
        self.startStep = startStep
        self.seconds = seconds
        self.best = best
        self.bestModel = bestModel
        self.finalModel = finalModel
        self.newestCheckpoint = newestCheckpoint
        self.config = config
    }

    /// The printed lines (see the type).
    public var lines: [String] {
        func row(_ label: String, _ value: String) -> String {
            "  " + label + String(repeating: " ", count: max(1, 13 - label.count)) + value
        }
        let done = step - startStep
        var steps = "\(step)/\(totalSteps) (\(done) in this run"
        steps += startStep > 0 ? ", resumed at step \(startStep))" : ")"
        var lines = ["run summary", row("steps", steps), row("wall time", ProgressPrinter.duration(seconds))]
        if let best {
            let value = best.metric == "accuracy" ? String(format: "%.2f%%", 100 * best.value) : String(format: "%.4f", best.value)
            lines.append(row("best", "\(best.metric) \(value)" + (best.step.map { " at step \($0)" } ?? "")))
        }
        if let bestModel { lines.append(row("best model", bestModel)) }
        if let finalModel { lines.append(row("final model", finalModel)) }
        if let newestCheckpoint { lines.append(row("checkpoint", newestCheckpoint + " (newest)")) }
        if let config { lines.append(row("config", config)) }
        return lines
    }

    public var text: String { lines.joined(separator: "\n") }
}

extension Trainer {
    /// The summary of the run as it ends (rank 0: the files are on its disk): `startStep` is
    /// the step this process started from, `seconds` how long it has run.
    public func endSummary(startStep: Int, seconds: Double) -> RunSummary {
        let files = FileManager.default
        func present(_ path: String) -> String? { files.fileExists(atPath: path) ? path : nil }
        return RunSummary(step: step, totalSteps: totalSteps, startStep: startStep, seconds: seconds,
                          best: best,
                          bestModel: present(directory.bestPath), finalModel: present(directory.finalPath),
                          newestCheckpoint: directory.stepCheckpoints().last?.path, config: present(directory.configPath))
    }
}
