import Foundation
import TxfCore

/// One JSON object per line: `{"sentence": "a fine film", "label": 1}`.
///
/// The text field (and the pair field, for sentence pairs) must be a JSON string; the label may be a string or an integer (it is
/// turned into text here and parsed by the label rule like a TSV label). Other fields are
/// ignored.
enum JSONLines {
    static func record(from line: [UInt8], line number: Int, columns: ColumnSelection) throws -> TextRecord {
        guard String(validating: line, as: UTF8.self) != nil else {
            throw RowError(line: number, "line is not valid UTF-8")
        }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: Data(line), options: [])
        } catch {
            throw RowError(line: number, "not a valid JSON object")
        }
        guard let object = parsed as? [String: Any] else {
            throw RowError(line: number, "expected a JSON object")
        }
        guard let textValue = object[columns.text] else {
            throw RowError(line: number, "no \"\(columns.text)\" field" + fieldList(object))
        }
        guard let text = textValue as? String else {
            throw RowError(line: number, "field \"\(columns.text)\" is not a string")
        }
        var pair: String?
        if let pairName = columns.pair {
            guard let value = object[pairName] else {
                throw RowError(line: number, "no \"\(pairName)\" field" + fieldList(object))
            }
            guard let text = value as? String else {
                throw RowError(line: number, "field \"\(pairName)\" is not a string")
            }
            pair = text
        }
        var label: String?
        if let labelName = columns.label {
            guard let value = object[labelName] else {
                throw RowError(line: number, "no \"\(labelName)\" field" + fieldList(object))
            }
            label = try labelText(value, line: number, field: labelName)
        }
        return TextRecord(line: number, text: text, label: label, pair: pair)
    }

    /// The fields the line does have, for the message about the one it lacks (`--text-column`
    /// and `--label-column` name the fields).
    private static func fieldList(_ object: [String: Any]) -> String {
        object.isEmpty ? " (the object has no fields)" : " (the line has \(object.keys.sorted().map { "\"\($0)\"" }.joined(separator: ", ")))"
    }

    /// A JSON label as text: strings as they are, integral numbers in decimal.
    private static func labelText(_ value: Any, line: Int, field: String) throws -> String {
        if let text = value as? String { return text }
        if let number = jsonNumber(value) {
            let double = number.doubleValue
            if double.rounded() == double, abs(double) < 1e15 { return String(Int64(double)) }
            return "\(double)"
        }
        throw RowError(line: line, "field \"\(field)\" is neither a string nor a number")
    }
}
