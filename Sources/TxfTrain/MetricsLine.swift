import Foundation
import TxfCore

/// One line of `metrics.jsonl` read back: its event, step and numeric fields, for the plot and
/// the TensorBoard scalars. Whatever numeric fields an event gains later (F1, MCC, …) come
/// along without a change here.
public struct MetricsLine: Sendable, Equatable {
    /// "train", "eval" or "checkpoint".
    public var event: String
    public var step: Int
    /// The finite numeric fields other than `step` and the non-curves (`count`), in the order
    /// the line has them; a null (non-finite) number is left out.
    public var scalars: [Scalar]

    public struct Scalar: Sendable, Equatable {
        public var key: String
        public var value: Double
    }

    /// Fields that are numbers but no curve: the size of the evaluation set.
    static let notCurves: Set<String> = ["step", "count"]

    /// The line parsed; nil when it is not a JSON object with a string `event` and an integer
    /// `step` (a line cut by a kill). Nested values (per-class lists) are skipped.
    public init?(_ line: Substring) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let event = object["event"] as? String, let step = object["step"] as? Int else { return nil }
        self.event = event
        self.step = step
        // Foundation's dictionary forgets the order; the text keeps it.
        let ordered = object.keys.sorted {
            (line.range(of: "\"\($0)\":")?.lowerBound ?? line.endIndex) < (line.range(of: "\"\($1)\":")?.lowerBound ?? line.endIndex)
        }
        scalars = ordered.compactMap { key in
            guard !Self.notCurves.contains(key), let number = jsonNumber(object[key]), number.doubleValue.isFinite else { return nil }
            return Scalar(key: key, value: number.doubleValue)
        }
    }

    /// The value of `key`, when the line has it.
    public func value(_ key: String) -> Double? { scalars.first { $0.key == key }?.value }

    /// Every parseable line of the metrics file at `path`, in order.
    /// - Throws: `TxfError` naming the file when it is missing, unreadable or has no such line.
    public static func read(path: String) throws -> [MetricsLine] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TxfError("cannot read \(path): \(FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file") (txf-train writes metrics.jsonl into its --out directory)")
        }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap(MetricsLine.init)
        if lines.isEmpty { throw TxfError("\(path) holds no metrics lines (a run logs its first after --log-every steps)") }
        return lines
    }
}
