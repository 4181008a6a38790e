import Foundation
import TxfCore

/// How `txf predict` writes its predictions (`--output-format`).
public enum PredictionOutputFormat: String, Sendable, CaseIterable {
    /// For people: `label<TAB>name p, name p, …<TAB>text`, one line per text.
    case text
    /// One JSON object per line: `line`, `label_index`, `label`, `probabilities` (one per class,
    /// in class order), `logits`, `text`.
    case jsonl
    /// RFC 4180 with a header `line,label_index,label,p_<name>…,text`.
    case csv
}

/// Formats predictions as `PredictionOutputFormat` lines.
///
/// A regression model's lines carry its `score` in place of the label and probabilities
/// (text: `score<TAB>text`; CSV `line,score,text`); for sentence pairs the second text follows
/// the first (text: a tab; JSONL `text_pair`; CSV a `text_pair` column).
///
/// `line` is the 1-based line of the input file a text came from (where a CSV record spanning
/// lines starts), nil for a text given as an argument: JSONL writes `null`, CSV an empty field.
/// Probabilities are written as the shortest decimal that reads back to the same Float.
public struct PredictionOutput: Sendable {
    public let format: PredictionOutputFormat
    /// The model's class names, index = class id.
    public let labelNames: [String]
    /// A regression model writes scores, a classifier labels and probabilities.
    public let task: ModelTask
    /// The inputs are sentence pairs (a `text_pair` field / column).
    public let pairs: Bool

    public init(format: PredictionOutputFormat, labelNames: [String], task: ModelTask = .classification, pairs: Bool = false) {
        self.format = format
        self.labelNames = labelNames
        self.task = task
        self.pairs = pairs
    }

    /// The first line of the output (CSV's header), nil for formats without one.
    public var header: String? {
        guard format == .csv else { return nil }
        let prediction = task == .regression ? ["score"] : ["label_index", "label"] + labelNames.map { "p_\($0)" }
        return (["line"] + prediction + ["text"] + (pairs ? ["text_pair"] : [])).map(PredictionOutput.csvField)
            .joined(separator: ",")
    }

    /// One prediction as one line (a CSV text with a line break stays one quoted record).
    public func line(_ p: Prediction, inputLine: Int?) -> String {
        let texts = [p.text] + (pairs ? [p.pair ?? ""] : [])
        switch format {
        case .text:
            if let score = p.score { return ([String(format: "%.4f", score)] + texts).joined(separator: "\t") }
            let probabilities = zip(labelNames, p.probabilities).map { "\($0) \(String(format: "%.4f", $1))" }
            return ([p.label, probabilities.joined(separator: ", ")] + texts).joined(separator: "\t")
        case .jsonl:
            var fields = [("line", inputLine.map(String.init) ?? "null")]
            if let score = p.score {
                fields.append(("score", PredictionOutput.number(score)))
            } else {
                fields += [("label_index", "\(p.labelIndex)"), ("label", jsonStringLiteral(p.label)),
                           ("probabilities", "[" + p.probabilities.map(PredictionOutput.number).joined(separator: ",") + "]")]
            }
            fields += [("logits", "[" + p.logits.map(PredictionOutput.number).joined(separator: ",") + "]"),
                       ("text", jsonStringLiteral(p.text))]
            if pairs { fields.append(("text_pair", p.pair.map(jsonStringLiteral) ?? "null")) }
            return "{" + fields.map { "\(jsonStringLiteral($0.0)):\($0.1)" }.joined(separator: ",") + "}"
        case .csv:
            let prediction = p.score.map { [PredictionOutput.number($0)] }
                ?? ["\(p.labelIndex)", p.label] + p.probabilities.map(PredictionOutput.number)
            return ([inputLine.map(String.init) ?? ""] + prediction + texts).map(PredictionOutput.csvField).joined(separator: ",")
        }
    }

    /// A Float as JSON and CSV take it: its shortest round-trip decimal; `null` when not finite.
    static func number(_ value: Float) -> String {
        value.isFinite ? "\(value)" : "null"
    }

    /// A CSV field, quoted (with `"` doubled) when it holds a comma, quote or line break.
    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
