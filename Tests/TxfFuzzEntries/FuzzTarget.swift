import Foundation
import TxfCore
import TxfData
import TxfStore
import TxfText

/// One parser as a fuzz target: arbitrary bytes in, and the parser must either accept them or
/// throw; a trap, a signal or a runaway allocation is a finding.
///
/// The same entry points serve the libFuzzer executables of Fuzz/ (one per case) and the
/// corpus replay tests, so a saved input replays through exactly the code that found it.
/// Readers that take a path (text records, safetensors, HDF5) get the bytes as a file in
/// `ScratchFile`'s directory (/dev/shm where it exists).
public enum FuzzTarget: String, CaseIterable, Sendable {
    case tsv, csv, jsonl
    /// `BertTokenizer` on the input as (lossily decoded) UTF-8, cased and uncased.
    case tokenizer
    /// vocab.txt parsing (`Vocabulary(contentsOf:)`), then a tokenizer on that vocabulary.
    case vocab
    /// A safetensors file: header parsed and checked, then every tensor read.
    case safetensors
    /// A `txf prepare` dataset: opened, its vocabulary rebuilt, its first rows read.
    case dataset
    /// A model file or checkpoint: opened and every tensor loaded (`StoredModel`).
    case model

    /// Runs the parser on `bytes`; errors the parser throws are its normal answer and are dropped.
    public func run(_ bytes: UnsafeRawBufferPointer) {
        switch self {
        case .tsv: Self.readRecords(bytes, format: .tsv)
        case .csv: Self.readRecords(bytes, format: .csv)
        case .jsonl: Self.readRecords(bytes, format: .jsonl)
        case .tokenizer: Self.tokenize(String(decoding: bytes, as: UTF8.self))
        case .vocab: Self.readVocabulary(bytes)
        case .safetensors: Self.readSafeTensors(bytes)
        case .dataset: Self.readDataset(bytes)
        case .model: Self.readModel(bytes)
        }
    }

    /// `run` on an array (the replay tests' form).
    public func run(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { run($0) }
    }

    // MARK: - Text records

    /// Every record of the file, past bad rows as `--skip-bad-rows` goes, labels through the
    /// default `LabelRule` and text through the tokenizer, as `txf prepare` does.
    private static func readRecords(_ bytes: UnsafeRawBufferPointer, format: InputFormat) {
        let path = ScratchFile.write(bytes, for: format.rawValue, extension: format.rawValue)
        guard let reader = try? TextRecordReader(path: path, format: format, columns: ColumnSelection()) else { return }
        var rule = LabelRule()
        while true {
            do {
                guard let record = try reader.next() else { break }
                if let label = record.label { _ = try? rule.classId(of: label, line: record.line) }
                _ = tinyTokenizer.encode(record.text, maxLength: 128)
            } catch is RowError {
                continue
            } catch {
                break
            }
        }
        _ = rule.labelNames
        _ = try? reader.finishHash()
    }

    // MARK: - Tokenizer

    /// The hand-written vocabulary of the tokenizer tests, with continuation pieces, CJK,
    /// Greek final sigma and combining marks, so WordPiece's matching paths are all reachable.
    static let tinyTokens = [
        "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##aff", "##able", "hello", "world",
        "!", ",", "##s", "cafe", "a", "##a", "the", "中", "σ", "##ς", "##σ", "'", "t", "don", "i",
        "##\u{307}", "ι", "##υ", "hello world", "##\u{20DD}",
    ]
    // The tokens are fixed and hold the five special tokens, so this cannot throw.
    static let tinyTokenizer = BertTokenizer(vocabulary: try! Vocabulary(tokens: tinyTokens), lowercase: true)
    static let tinyCasedTokenizer = BertTokenizer(vocabulary: tinyTokenizer.vocabulary, lowercase: false)

    private static func tokenize(_ text: String) {
        for tokenizer in [tinyTokenizer, tinyCasedTokenizer] {
            let ids = tokenizer.encode(text)
            _ = tokenizer.encode(text, maxLength: 8)
            _ = tokenizer.tokens(text)
            _ = tokenizer.decode(ids)
        }
    }

    private static func readVocabulary(_ bytes: UnsafeRawBufferPointer) {
        let path = ScratchFile.write(bytes, for: "vocab", extension: "txt")
        guard let vocabulary = try? Vocabulary(contentsOf: path) else { return }
        let tokenizer = BertTokenizer(vocabulary: vocabulary, lowercase: true)
        // The vocabulary's own tokens are the words most likely to take the matching paths.
        let sample = (0 ..< min(vocabulary.count, 64)).map { vocabulary.token(for: Int32($0)) }.joined(separator: " ")
        _ = tokenizer.decode(tokenizer.encode(sample + " unaffable CAFÉ 中σ"))
    }

    // MARK: - Safetensors

    private static func readSafeTensors(_ bytes: UnsafeRawBufferPointer) {
        let path = ScratchFile.write(bytes, for: "safetensors", extension: "safetensors")
        guard let file = try? SafeTensorsFile(path: path) else { return }
        for name in file.names {
            _ = try? file.floats(name)
            _ = try? file.rawBytes(name)
        }
    }

    // MARK: - HDF5

    /// Rows read per dataset: enough to cover several token chunks of a seed, few enough that
    /// one input stays in milliseconds.
    static let datasetRowsRead = 64

    private static func readDataset(_ bytes: UnsafeRawBufferPointer) {
        let path = ScratchFile.write(bytes, for: "dataset", extension: "h5")
        guard let dataset = try? TokenDataset(path: path) else { return }
        defer { dataset.close() }
        _ = try? dataset.vocabulary()
        _ = dataset.statistics()
        _ = dataset.fingerprint
        let rows = Array(0 ..< min(dataset.rowCount, datasetRowsRead))
        _ = try? dataset.readRows(rows)
        _ = try? dataset.readRows(rows.reversed() + rows.prefix(2))
    }

    private static func readModel(_ bytes: UnsafeRawBufferPointer) {
        let path = ScratchFile.write(bytes, for: "model", extension: "h5")
        guard let model = try? StoredModel(path: path) else { return }
        _ = model.labelNamesOrDefault
        _ = model.maxLength
    }
}
