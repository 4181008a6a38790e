import Foundation
import TxfCore

/// `metrics.jsonl`: one JSON object per event, appended and flushed line by line (rank 0).
///
///     {"event":"train","step":10,"epoch":0.05,"loss":0.69,"lr":0.0001,"grad_norm":1.2,
///      "tokens_per_s":5400,"samples_per_s":180,"gflops_per_s":21.5,"mfu":0.52,
///      "elapsed_s":3.1}
///     {"event":"eval","step":100,"loss":0.41,"accuracy":0.81,"f1":0.80,"mcc":0.62,"count":872}
///     {"event":"eval","step":100,"loss":0.93,"mse":0.93,"pearson":0.71,"spearman":0.69,"count":1500}
///     {"event":"eval","step":100,"loss":3.12,"masked_accuracy":0.41,"predicted_tokens":3390,"count":872}
///     {"event":"checkpoint","step":100,"path":"runs/x/step-100.h5"}
///
/// Numbers are written in the shortest form that reads back to the same value, so losses
/// compare bitwise across runs. A non-finite number is written as null. `f1` is the macro F1
/// and `mcc` the Matthews correlation (`ClassificationMetrics`); lines of runs before they were
/// logged lack both. A regression run's eval lines hold `mse`, `pearson` and `spearman`
/// (`RegressionMetrics`) in their place, a masked-LM run's `masked_accuracy` and
/// `predicted_tokens` (`MaskedLMMetrics`; `loss` per picked token).
public final class MetricsLog {
    public let path: String
    private let file: UnsafeMutablePointer<FILE>
    /// Where the same lines also go as TensorBoard scalars.
    private let tensorBoard: TensorBoardLog?

    /// Opens `path` for appending (created when absent).
    public init(path: String, tensorBoard: TensorBoardLog? = nil) throws {
        guard let file = fopen(path, "a") else {
            throw TxfError("cannot open \(path) for writing: \(String(cString: strerror(errno)))")
        }
        self.path = path
        self.file = file
        self.tensorBoard = tensorBoard
    }

    deinit { fclose(file) }

    /// Appends the event's line and flushes it, so a killed run leaves whole lines behind.
    public func append(_ event: TrainingEvent) {
        let line = MetricsLog.jsonLine(event)
        fputs(line + "\n", file)
        fflush(file)
        if let tensorBoard, let parsed = MetricsLine(Substring(line)) { tensorBoard.append(parsed) }
    }

    /// The event as one JSON object, keys in the documented order.
    public static func jsonLine(_ event: TrainingEvent) -> String {
        switch event {
        case .train(let r):
            return object([("event", jsonStringLiteral("train")), ("step", "\(r.step)"), ("epoch", number(r.epoch)),
                           ("loss", number(r.loss)), ("lr", number(Double(String(r.lr)) ?? Double(r.lr))), ("grad_norm", number(r.gradNorm)),
                           ("tokens_per_s", number(r.tokensPerSecond)), ("samples_per_s", number(r.samplesPerSecond)),
                           ("gflops_per_s", number(r.gflopsPerSecond))]
                          + (r.mfu.map { [("mfu", number($0))] } ?? [])
                          + [("elapsed_s", number(r.elapsedSeconds))])
        case .eval(let r):
            if let m = r.regression {
                return object([("event", jsonStringLiteral("eval")), ("step", "\(r.step)"), ("loss", number(r.loss)),
                               ("mse", number(m.mse)), ("pearson", number(m.pearson)), ("spearman", number(m.spearman)),
                               ("count", "\(r.count)")])
            }
            if let m = r.maskedLM {
                return object([("event", jsonStringLiteral("eval")), ("step", "\(r.step)"), ("loss", number(r.loss)),
                               ("masked_accuracy", number(m.accuracy)), ("predicted_tokens", "\(m.predictedTokens)"),
                               ("count", "\(r.count)")])
            }
            return object([("event", jsonStringLiteral("eval")), ("step", "\(r.step)"), ("loss", number(r.loss)),
                           ("accuracy", number(r.accuracy)), ("f1", number(r.f1)), ("mcc", number(r.mcc)),
                           ("count", "\(r.count)")])
        case .checkpoint(let r):
            return object([("event", jsonStringLiteral("checkpoint")), ("step", "\(r.step)"), ("path", jsonStringLiteral(r.path))])
        }
    }

    /// Rewrites `path` keeping only whole lines of events at or before `step` (on resume, the
    /// steps after the checkpoint are run again and logged again). Temp file, then rename.
    public static func truncate(path: String, afterStep step: Int) throws {
        guard let data = FileManager.default.contents(atPath: path) else { return }
        let text = String(decoding: data, as: UTF8.self)
        var kept = ""
        // A line without its newline was cut by a kill: drop it with the others after `step`.
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() where index < lines.count - 1 && !line.isEmpty {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let lineStep = object["step"] as? Int, lineStep <= step else { continue }
            kept += line + "\n"
        }
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(kept.utf8)) else {
            throw TxfError("cannot write \(temporary)")
        }
        guard rename(temporary, path) == 0 else {
            throw TxfError("cannot rename \(temporary) to \(path): \(String(cString: strerror(errno)))")
        }
    }

    // MARK: - JSON pieces

    static func object(_ pairs: [(String, String)]) -> String {
        "{" + pairs.map { "\(jsonStringLiteral($0.0)):\($0.1)" }.joined(separator: ",") + "}"
    }

    /// Shortest round-trip decimal; integers without a fraction; null when not finite.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
