import TxfCore
import TxfHDF5

/// The root attributes of a tokenized dataset (see `DatasetSchema`).
public struct DatasetInfo: Sendable, Equatable {
    /// The tokenizer and vocab the rows were made with.
    public var tokenizer: TokenizerInfo
    /// Class names by id; empty for an unlabelled dataset.
    public var labelNames: [String]
    public var sourcePath: String
    public var sourceSHA256: String
    public var rowCount: Int
    public var tokenCount: Int
    public var truncatedRows: Int
    public var skippedRows: Int

    public init(tokenizer: TokenizerInfo, labelNames: [String], sourcePath: String, sourceSHA256: String,
                rowCount: Int, tokenCount: Int, truncatedRows: Int, skippedRows: Int) {
        self.tokenizer = tokenizer
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
        try tokenizer.write(to: file)
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
        let tokenizer = try file.stringAttribute(TokenizerInfo.Attribute.kind.datasetName)
        guard tokenizer == DatasetSchema.tokenizer else {
            throw TxfError("\(path) was tokenized with '\(tokenizer)'; txf reads \(DatasetSchema.tokenizer) datasets; \(remedy)")
        }
        func int(_ name: String) throws -> Int { Int(try file.int64Attribute(name)) }
        return DatasetInfo(
            tokenizer: try TokenizerInfo.read(from: file),
            labelNames: try file.stringArrayAttribute(A.labelNames),
            sourcePath: try file.stringAttribute(A.sourcePath),
            sourceSHA256: try file.stringAttribute(A.sourceSHA256),
            rowCount: try int(A.rowCount),
            tokenCount: try int(A.tokenCount),
            truncatedRows: try int(A.truncatedRows),
            skippedRows: try int(A.skippedRows))
    }
}
