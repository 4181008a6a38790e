import TxfCore
import TxfHDF5

/// The root attributes of a tokenized dataset (see `DatasetSchema`).
public struct DatasetInfo: Sendable, Equatable {
    public var vocabSHA256: String
    public var vocabSize: Int
    public var lowercase: Bool
    public var padId: Int32
    public var unkId: Int32
    public var clsId: Int32
    public var sepId: Int32
    /// Longest row in tokens, [CLS] and [SEP] included.
    public var maxLength: Int
    /// Class names by id; empty for an unlabelled dataset.
    public var labelNames: [String]
    public var sourcePath: String
    public var sourceSHA256: String
    public var rowCount: Int
    public var tokenCount: Int
    public var truncatedRows: Int
    public var skippedRows: Int

    public init(vocabSHA256: String, vocabSize: Int, lowercase: Bool, padId: Int32, unkId: Int32, clsId: Int32, sepId: Int32,
                maxLength: Int, labelNames: [String], sourcePath: String, sourceSHA256: String,
                rowCount: Int, tokenCount: Int, truncatedRows: Int, skippedRows: Int) {
        self.vocabSHA256 = vocabSHA256
        self.vocabSize = vocabSize
        self.lowercase = lowercase
        self.padId = padId
        self.unkId = unkId
        self.clsId = clsId
        self.sepId = sepId
        self.maxLength = maxLength
        self.labelNames = labelNames
        self.sourcePath = sourcePath
        self.sourceSHA256 = sourceSHA256
        self.rowCount = rowCount
        self.tokenCount = tokenCount
        self.truncatedRows = truncatedRows
        self.skippedRows = skippedRows
    }

    /// Writes every attribute, including the kind and schema version, to the file's root.
    public func write(to file: H5File) throws {
        typealias A = DatasetSchema.Attribute
        try file.setAttribute(A.kind, DatasetSchema.kind)
        try file.setAttribute(A.schemaVersion, DatasetSchema.version)
        try file.setAttribute(A.tokenizer, DatasetSchema.tokenizer)
        try file.setAttribute(A.vocabSHA256, vocabSHA256)
        try file.setAttribute(A.vocabSize, vocabSize)
        try file.setAttribute(A.lowercase, lowercase ? 1 : 0)
        try file.setAttribute(A.padId, Int(padId))
        try file.setAttribute(A.unkId, Int(unkId))
        try file.setAttribute(A.clsId, Int(clsId))
        try file.setAttribute(A.sepId, Int(sepId))
        try file.setAttribute(A.maxLength, maxLength)
        try file.setAttribute(A.labelNames, labelNames)
        try file.setAttribute(A.sourcePath, sourcePath)
        try file.setAttribute(A.sourceSHA256, sourceSHA256)
        try file.setAttribute(A.rowCount, rowCount)
        try file.setAttribute(A.tokenCount, tokenCount)
        try file.setAttribute(A.truncatedRows, truncatedRows)
        try file.setAttribute(A.skippedRows, skippedRows)
    }

    /// Reads the attributes after checking that the file is a tokenized dataset of this
    /// schema version; otherwise the error says what the file is and how to regenerate it.
    public static func read(from file: H5File) throws -> DatasetInfo {
        typealias A = DatasetSchema.Attribute
        let path = file.filePath
        let remedy = "regenerate it with `txf prepare --input <text file> --vocab vocab.txt --output \(path)`"
        guard file.hasAttribute(A.kind) else {
            throw TxfError("\(path) is not a txf dataset (no \(A.kind) attribute); \(remedy)")
        }
        let kind = try file.stringAttribute(A.kind)
        guard kind == DatasetSchema.kind else {
            throw TxfError("\(path) is a txf '\(kind)' file, not a \(DatasetSchema.kind); \(remedy)")
        }
        let version = file.hasAttribute(A.schemaVersion) ? try file.int64Attribute(A.schemaVersion) : -1
        guard version == DatasetSchema.version else {
            throw TxfError("\(path) has dataset schema version \(version); this txf reads version \(DatasetSchema.version); \(remedy)")
        }
        let tokenizer = try file.stringAttribute(A.tokenizer)
        guard tokenizer == DatasetSchema.tokenizer else {
            throw TxfError("\(path) was tokenized with '\(tokenizer)'; txf reads \(DatasetSchema.tokenizer) datasets; \(remedy)")
        }
        func int(_ name: String) throws -> Int { Int(try file.int64Attribute(name)) }
        return DatasetInfo(
            vocabSHA256: try file.stringAttribute(A.vocabSHA256),
            vocabSize: try int(A.vocabSize),
            lowercase: try int(A.lowercase) != 0,
            padId: Int32(try int(A.padId)),
            unkId: Int32(try int(A.unkId)),
            clsId: Int32(try int(A.clsId)),
            sepId: Int32(try int(A.sepId)),
            maxLength: try int(A.maxLength),
            labelNames: try file.stringArrayAttribute(A.labelNames),
            sourcePath: try file.stringAttribute(A.sourcePath),
            sourceSHA256: try file.stringAttribute(A.sourceSHA256),
            rowCount: try int(A.rowCount),
            tokenCount: try int(A.tokenCount),
            truncatedRows: try int(A.truncatedRows),
            skippedRows: try int(A.skippedRows))
    }
}
