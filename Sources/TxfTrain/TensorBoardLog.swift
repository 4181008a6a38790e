import Foundation
import TxfCore

/// TensorBoard scalars in the run directory, so `tensorboard --logdir runs/` shows the curves
/// of `metrics.jsonl`: one event file `events.out.tfevents.<unix time>.<host>` (rank 0),
/// appended and flushed with every metrics line, so a killed run keeps what it logged.
///
/// Each train or eval line becomes one event at its step holding one scalar per numeric field
/// (`MetricsLine.scalars`): `train/loss`, `train/learning_rate` (the line's `lr`),
/// `train/grad_norm`, `train/epoch`, `train/tokens_per_s`, …, `eval/loss`, `eval/accuracy`
/// and any other numeric eval field. Checkpoint lines are not scalars.
///
/// A resumed run runs the steps after its checkpoint again, as `metrics.jsonl` is truncated:
/// the event files present are rewritten into the new file, keeping only the events up to the
/// resume step (with their wall times), and removed, so each step appears once. A new run
/// removes the event files of an earlier one. A TensorBoard left open across a resume shows
/// the old points after the resume step until it is reloaded.
public final class TensorBoardLog {
    public let path: String
    private let file: UnsafeMutablePointer<FILE>

    static let fileNamePrefix = "events.out.tfevents."
    /// TensorBoard's (and Hugging Face's) name for the learning rate; other keys keep theirs.
    static let tagNames = ["lr": "learning_rate"]

    /// Starts a new event file in `directory` (which must exist), carrying over the events up to
    /// `resumedAt` from the files already there, which are then removed (all of them when nil).
    public init(directory: String, resumedAt step: Int?) throws {
        let old = Self.eventFiles(in: directory)
        let kept = step.map { step in
            old.flatMap { path in
                TensorBoardRecord.unframe(Array(FileManager.default.contents(atPath: path) ?? Data())).filter {
                    guard let event = TensorBoardRecord.stepAndKind(ofEvent: $0) else { return false }
                    return !event.isFileVersion && event.step <= step
                }
            }
        } ?? []
        let now = Date().timeIntervalSince1970
        path = (directory as NSString).appendingPathComponent(Self.fileNamePrefix + "\(Int(now)).\(Self.hostName())")
        // Written whole under another name first: a kill now leaves the old files as they were.
        let temporary = path + ".tmp"
        let bytes = ([TensorBoardRecord.fileVersionEvent(wallTime: now)] + kept).flatMap(TensorBoardRecord.frame)
        guard FileManager.default.createFile(atPath: temporary, contents: Data(bytes)) else {
            throw TxfError("cannot write \(temporary)")
        }
        guard rename(temporary, path) == 0 else {
            throw TxfError("cannot rename \(temporary) to \(path): \(String(cString: strerror(errno)))")
        }
        for stale in old where stale != path { unlink(stale) }
        guard let file = fopen(path, "a") else {
            throw TxfError("cannot open \(path) for writing: \(String(cString: strerror(errno)))")
        }
        self.file = file
    }

    deinit { fclose(file) }

    /// Appends the scalars of one `metrics.jsonl` line (train or eval; others are skipped) and
    /// flushes them.
    public func append(_ line: MetricsLine, wallTime: Double = Date().timeIntervalSince1970) {
        guard line.event == "train" || line.event == "eval", !line.scalars.isEmpty else { return }
        let scalars = line.scalars.map { (tag: Self.tag(event: line.event, key: $0.key), value: Float($0.value)) }
        let record = TensorBoardRecord.frame(TensorBoardRecord.scalarsEvent(wallTime: wallTime, step: line.step, scalars: scalars))
        _ = record.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, file) }
        fflush(file)
    }

    /// `train/learning_rate` for a train line's `lr`, `eval/accuracy` for an eval line's `accuracy`.
    public static func tag(event: String, key: String) -> String { event + "/" + (tagNames[key] ?? key) }

    /// The event files in `directory` (ours and any other writer's), by name.
    static func eventFiles(in directory: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasPrefix(fileNamePrefix) && !$0.hasSuffix(".tmp") }.sorted()
            .map { (directory as NSString).appendingPathComponent($0) }
    }

    private static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
