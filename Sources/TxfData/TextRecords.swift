import Foundation
import TxfCore

/// One example read from a text file: where it came from, its text (and second text, for a
/// sentence pair) and its raw label.
public struct TextRecord: Sendable, Equatable {
    /// 1-based line number where the record starts.
    public var line: Int
    public var text: String
    /// The label column's text, or nil when reading without labels.
    public var label: String?
    /// The pair column's text (segment b of `[CLS] a [SEP] b [SEP]`), or nil for single sentences.
    public var pair: String?

    public init(line: Int, text: String, label: String?, pair: String? = nil) {
        self.line = line
        self.text = text
        self.label = label
        self.pair = pair
    }
}

/// A bad row: the reader has moved past it, so `--skip-bad-rows` can go on reading.
public struct RowError: Error, Sendable, Equatable {
    public var line: Int
    public var message: String

    public init(line: Int, _ message: String) {
        self.line = line
        self.message = message
    }

    /// The user-facing line: "train.tsv:1234: expected 2 columns, found 3".
    public func located(in path: String) -> TxfError {
        TxfError("\(path):\(line): \(message)")
    }
}

/// Input text formats `txf prepare` reads.
public enum InputFormat: String, Sendable, CaseIterable {
    /// GLUE style: header row, tab-separated, no quoting (a tab or newline cannot occur in a field).
    case tsv
    /// RFC 4180: header row, comma-separated, fields may be quoted with `"` (`""` inside is a
    /// quote; a quoted field may span lines).
    case csv
    /// One JSON object per line; the text field must be a string, the label a string or integer.
    case jsonl

    /// The format implied by a file name's extension (.tsv, .csv, .jsonl / .json / .ndjson).
    public static func fromExtension(of path: String) -> InputFormat? {
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "tsv", "tab": return .tsv
        case "csv": return .csv
        case "jsonl", "ndjson", "json": return .jsonl
        default: return nil
        }
    }
}

/// Which columns (or JSON fields) hold the text, the label and, for sentence pairs, the second text.
public struct ColumnSelection: Sendable, Equatable {
    public var text: String
    /// nil: the file has no labels (every row gets label -1).
    public var label: String?
    /// The second sentence of each pair (`--text-pair-column`); nil: single sentences.
    public var pair: String?

    /// GLUE's column names for the text and the label (SST-2's header), every command's default.
    public static let defaultText = "sentence"
    public static let defaultLabel = "label"

    public init(text: String = defaultText, label: String? = defaultLabel, pair: String? = nil) {
        self.text = text
        self.label = label
        self.pair = pair
    }
}

/// Streams `TextRecord`s out of a TSV, CSV or JSONL file, hashing the file as it goes.
///
/// `next()` returns nil at the end, throws `RowError` for a bad row (after which reading can
/// go on) and `TxfError` for a fatal problem (missing file, header without the text column).
/// Completely empty lines are skipped (a trailing blank line is common and harmless).
public final class TextRecordReader {
    public let path: String
    public let format: InputFormat
    public let columns: ColumnSelection
    private let lines: LineSource
    /// Column positions from the header (TSV / CSV).
    private var textIndex = 0
    private var labelIndex: Int?
    private var pairIndex: Int?
    private var columnCount = 0

    public init(path: String, format: InputFormat, columns: ColumnSelection) throws {
        self.path = path
        self.format = format
        self.columns = columns
        self.lines = try LineSource(path: path)
        if format != .jsonl { try readHeader() }
    }

    /// Bytes of the file read so far.
    public var bytesRead: Int { lines.bytesRead }

    /// SHA-256 of the whole file; call after the last record.
    public func finishHash() throws -> String { try lines.finishHash() }

    /// The next record, nil at the end of the file.
    public func next() throws -> TextRecord? {
        while let line = try lines.nextLine() {
            if line.isEmpty { continue }
            let start = lines.lineNumber
            switch format {
            case .tsv:
                return try delimitedRecord(splitTSV(line), line: start)
            case .csv:
                return try delimitedRecord(readCSVFields(first: line, line: start), line: start)
            case .jsonl:
                return try JSONLines.record(from: line, line: start, columns: columns)
            }
        }
        return nil
    }

    // MARK: - TSV / CSV

    private func readHeader() throws {
        guard let line = try lines.nextLine() else { throw TxfError("\(path) is empty (expected a header row)") }
        let fields = format == .tsv ? splitTSV(line) : try readCSVFields(first: line, line: 1)
        var names: [String] = []
        for field in fields {
            guard let name = String(validating: field, as: UTF8.self) else {
                throw TxfError("\(path):1: header is not valid UTF-8")
            }
            names.append(name.trimmingCharacters(in: .whitespaces))
        }
        let listing = names.joined(separator: ", ")
        guard let text = names.firstIndex(of: columns.text) else {
            throw TxfError("\(path):1: no text column '\(columns.text)' in the header (columns: \(listing)); use --text-column")
        }
        textIndex = text
        if let label = columns.label {
            guard let index = names.firstIndex(of: label) else {
                throw TxfError("\(path):1: no label column '\(label)' in the header (columns: \(listing)); use --label-column or --no-labels")
            }
            labelIndex = index
        }
        if let pair = columns.pair {
            guard let index = names.firstIndex(of: pair) else {
                throw TxfError("\(path):1: no text pair column '\(pair)' in the header (columns: \(listing)); use --text-pair-column")
            }
            pairIndex = index
        }
        columnCount = names.count
    }

    private func delimitedRecord(_ fields: [ArraySlice<UInt8>], line: Int) throws -> TextRecord {
        guard fields.count == columnCount else {
            throw RowError(line: line, "expected \(columnCount) columns, found \(fields.count)")
        }
        guard let text = String(validating: fields[textIndex], as: UTF8.self) else {
            throw RowError(line: line, "text is not valid UTF-8")
        }
        var label: String?
        if let labelIndex {
            guard let value = String(validating: fields[labelIndex], as: UTF8.self) else {
                throw RowError(line: line, "label is not valid UTF-8")
            }
            label = value
        }
        var pair: String?
        if let pairIndex {
            guard let value = String(validating: fields[pairIndex], as: UTF8.self) else {
                throw RowError(line: line, "text pair is not valid UTF-8")
            }
            pair = value
        }
        return TextRecord(line: line, text: text, label: label, pair: pair)
    }

    private func splitTSV(_ line: [UInt8]) -> [ArraySlice<UInt8>] {
        line.split(separator: 0x09, omittingEmptySubsequences: false)
    }

    /// Parses one CSV record starting with `first`, pulling further lines while a quoted
    /// field is open (its newline becomes part of the field).
    private func readCSVFields(first: [UInt8], line: Int) throws -> [ArraySlice<UInt8>] {
        var record = first
        while true {
            switch CSVRecord.parse(record) {
            case .fields(let fields):
                return fields.map { $0[...] }
            case .openQuote:
                guard let more = try lines.nextLine() else {
                    throw RowError(line: line, "quoted field is not closed before the end of the file")
                }
                record.append(0x0A)
                record.append(contentsOf: more)
            case .malformed(let message):
                throw RowError(line: line, message)
            }
        }
    }
}
