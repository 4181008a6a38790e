import TxfCore
import TxfHDF5
import TxfText

/// The tokenizer a dataset was made with: what a model must be fed with to read it, recorded
/// by every dataset and copied into every model file and checkpoint.
///
/// A dataset stores the fields as typed root attributes (`Attribute.datasetName`: `tokenizer`,
/// `vocab_sha256`, `vocab_size`, `lowercase` 0/1, `pad_id`, …); a model file or checkpoint as
/// text attributes `tokenizer_<key>` (TxfStore).
public struct TokenizerInfo: Sendable, Equatable {
    /// The tokenizer's name: `DatasetSchema.tokenizer` ("bert-wordpiece").
    public var kind: String
    /// Hex SHA-256 of the vocab.txt bytes.
    public var vocabSHA256: String
    public var vocabSize: Int
    public var lowercase: Bool
    public var padId: Int32
    public var unkId: Int32
    public var clsId: Int32
    public var sepId: Int32
    /// Tokens per row, [CLS] and [SEP] included: rows longer than this were truncated.
    public var maxLength: Int

    public init(kind: String = DatasetSchema.tokenizer, vocabSHA256: String, vocabSize: Int, lowercase: Bool,
                padId: Int32, unkId: Int32, clsId: Int32, sepId: Int32, maxLength: Int) {
        self.kind = kind
        self.vocabSHA256 = vocabSHA256
        self.vocabSize = vocabSize
        self.lowercase = lowercase
        self.padId = padId
        self.unkId = unkId
        self.clsId = clsId
        self.sepId = sepId
        self.maxLength = maxLength
    }

    /// BERT WordPiece over `vocabulary`, its hash and special-token ids.
    public init(vocabulary: Vocabulary, lowercase: Bool, maxLength: Int) {
        self.init(vocabSHA256: vocabulary.sha256, vocabSize: vocabulary.count, lowercase: lowercase,
                  padId: vocabulary.padId, unkId: vocabulary.unkId, clsId: vocabulary.clsId, sepId: vocabulary.sepId,
                  maxLength: maxLength)
    }

    /// The fields' attribute keys, each defined once for both file kinds.
    public enum Attribute: String, CaseIterable, Sendable {
        case kind
        case vocabSHA256 = "vocab_sha256"
        case vocabSize = "vocab_size"
        case lowercase
        case padId = "pad_id"
        case unkId = "unk_id"
        case clsId = "cls_id"
        case sepId = "sep_id"
        case maxLength = "max_length"

        /// The name in a dataset: `tokenizer` for the kind, else the key itself.
        public var datasetName: String { self == .kind ? "tokenizer" : rawValue }
    }

    /// Writes the fields as a dataset's typed root attributes (integers int64, `lowercase` 0/1).
    public func write(to file: H5File) throws {
        try file.setAttribute(Attribute.kind.datasetName, kind)
        try file.setAttribute(Attribute.vocabSHA256.datasetName, vocabSHA256)
        try file.setAttribute(Attribute.vocabSize.datasetName, vocabSize)
        try file.setAttribute(Attribute.lowercase.datasetName, lowercase ? 1 : 0)
        try file.setAttribute(Attribute.padId.datasetName, Int(padId))
        try file.setAttribute(Attribute.unkId.datasetName, Int(unkId))
        try file.setAttribute(Attribute.clsId.datasetName, Int(clsId))
        try file.setAttribute(Attribute.sepId.datasetName, Int(sepId))
        try file.setAttribute(Attribute.maxLength.datasetName, maxLength)
    }

    /// Reads a dataset's typed root attributes (`write(to:)`), each integer range-checked:
    /// `vocab_size` 1...2^31-1, the special ids inside the vocab, `max_length` 2...2^20.
    public static func read(from file: H5File) throws -> TokenizerInfo {
        let remedy = "regenerate it with `txf prepare`"
        func int(_ a: Attribute, _ range: ClosedRange<Int64>) throws -> Int {
            Int(try file.int64Attribute(a.datasetName, in: range, remedy: remedy))
        }
        let vocabSize = try int(.vocabSize, 1 ... Int64(Int32.max))
        func id(_ a: Attribute) throws -> Int32 { Int32(try int(a, 0 ... Int64(vocabSize - 1))) }
        return TokenizerInfo(
            kind: try file.stringAttribute(Attribute.kind.datasetName),
            vocabSHA256: try file.stringAttribute(Attribute.vocabSHA256.datasetName),
            vocabSize: vocabSize,
            lowercase: try int(.lowercase, 0 ... 1) != 0,
            padId: try id(.padId),
            unkId: try id(.unkId),
            clsId: try id(.clsId),
            sepId: try id(.sepId),
            maxLength: try int(.maxLength, 2 ... 1 << 20))
    }
}
