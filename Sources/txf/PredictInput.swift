import ArgumentParser
import Foundation
import TxfCore
import TxfData

/// What `txf predict --input` reads: a TSV/CSV/JSONL file's text column, or plain text, one text
/// per line (`txt`).
enum PredictInputFormat: String, CaseIterable, ExpressibleByArgument {
    case tsv, csv, jsonl, txt

    /// From `--format`, else the file's extension (.tsv, .csv, .jsonl; anything else is one text
    /// a line); standard input (`-`) is one text a line unless `--format` says otherwise.
    static func resolve(_ given: PredictInputFormat?, path: String) -> PredictInputFormat {
        if let given { return given }
        if path == "-" { return .txt }
        return InputFormat.fromExtension(of: path).map { PredictInputFormat(rawValue: $0.rawValue)! } ?? .txt
    }
}

/// Streams `(line, text, pair)` out of `--input`: 1-based input lines, whitespace-only texts
/// skipped; `pair` is the `--text-pair-column` text of a sentence pair (TSV, CSV, JSONL only).
/// Errors name `file:line` (`/dev/stdin:line` for `-`).
final class PredictInput {
    let path: String
    private let records: TextRecordReader?
    private let lines: LineSource?

    init(path given: String, format: PredictInputFormat, textColumn: String, pairColumn: String? = nil) throws {
        path = given == "-" ? "/dev/stdin" : given
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw TxfError("--input \(given): no such file")
        }
        if let structured = InputFormat(rawValue: format.rawValue) {
            records = try TextRecordReader(path: path, format: structured,
                                           columns: ColumnSelection(text: textColumn, label: nil, pair: pairColumn))
            lines = nil
        } else {
            if pairColumn != nil {
                throw TxfError("--text-pair-column needs a TSV, CSV or JSONL --input (\(given) is read as one text per line); give --format")
            }
            records = nil
            lines = try LineSource(path: path)
        }
    }

    /// The next text (and pair) and its line, nil at the end.
    func next() throws -> (line: Int, text: String, pair: String?)? {
        if let records {
            do {
                while let record = try records.next() {
                    if !record.text.trimmingCharacters(in: .whitespaces).isEmpty { return (record.line, record.text, record.pair) }
                }
                return nil
            } catch let error as RowError {
                throw error.located(in: path)
            }
        }
        guard let lines else { return nil }
        while let bytes = try lines.nextLine() {
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw TxfError("\(path):\(lines.lineNumber): not valid UTF-8 text")
            }
            if !text.trimmingCharacters(in: .whitespaces).isEmpty { return (lines.lineNumber, text, nil) }
        }
        return nil
    }
}
