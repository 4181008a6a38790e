import Foundation

/// What rank 0 prints when training ends (at the last step, or stopped by a signal): how far
/// the run got, how long it took, its best evaluation and where its files are.
///
///     run summary
///       steps        2000/2000 (1980 in this run, resumed at step 20)
///       wall time    3m12s
///       best         accuracy 87.50% (eval loss 0.3121) at step 1500
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
    /// The evaluation that made `best.h5`; nil when none did.
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

    /// The evaluation recorded in `metrics.jsonl` at the step `best.h5` was written.
    public struct BestEvaluation: Sendable, Equatable {
        public var step: Int
        public var accuracy: Double
        public var loss: Double

        public init(step: Int, accuracy: Double, loss: Double) {
            self.step = step
            self.accuracy = accuracy
            self.loss = loss
        }
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
            lines.append(row("best", String(format: "accuracy %.2f%% (eval loss %.4f) at step %d", 100 * best.accuracy, best.loss, best.step)))
        }
        if let bestModel { lines.append(row("best model", bestModel)) }
        if let finalModel { lines.append(row("final model", finalModel)) }
        if let newestCheckpoint { lines.append(row("checkpoint", newestCheckpoint + " (newest)")) }
        if let config { lines.append(row("config", config)) }
        return lines
    }

    public var text: String { lines.joined(separator: "\n") }

    /// The evaluation at the step of the last `best.h5` checkpoint event in the `metrics.jsonl`
    /// at `path` (a resumed run's file holds the events of the runs before it too); nil when
    /// there is none or the file cannot be read.
    public static func bestEvaluation(metricsPath path: String) -> BestEvaluation? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let decoder = JSONDecoder()
        let events = text.split(separator: "\n").compactMap { try? decoder.decode(LoggedEvent.self, from: Data($0.utf8)) }
        guard let bestStep = events.last(where: { $0.event == "checkpoint" && $0.path.map(isBestModel) == true })?.step,
              let eval = events.last(where: { $0.event == "eval" && $0.step == bestStep }),
              let accuracy = eval.accuracy, let loss = eval.loss else { return nil }
        return BestEvaluation(step: bestStep, accuracy: accuracy, loss: loss)
    }

    private static func isBestModel(_ path: String) -> Bool { (path as NSString).lastPathComponent == "best.h5" }

    /// The fields of a `metrics.jsonl` line read here (`MetricsLog` writes them).
    private struct LoggedEvent: Decodable {
        let event: String
        let step: Int
        let path: String?
        let accuracy: Double?
        let loss: Double?
    }
}

extension Trainer {
    /// The summary of the run as it ends (rank 0: the files are on its disk): `startStep` is
    /// the step this process started from, `seconds` how long it has run.
    public func endSummary(startStep: Int, seconds: Double) -> RunSummary {
        let files = FileManager.default
        func present(_ path: String) -> String? { files.fileExists(atPath: path) ? path : nil }
        return RunSummary(step: step, totalSteps: totalSteps, startStep: startStep, seconds: seconds,
                          best: RunSummary.bestEvaluation(metricsPath: directory.metricsPath),
                          bestModel: present(directory.bestPath), finalModel: present(directory.finalPath),
                          newestCheckpoint: directory.stepCheckpoints().last?.path, config: present(directory.configPath))
    }
}
