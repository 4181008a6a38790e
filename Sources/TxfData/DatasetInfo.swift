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
    /// The largest id in `/tokens` (-1 before the writer fills it in).
    public var maxTokenId: Int
    /// Hex SHA-256 over the stored data (`DatasetSchema`); "" before the writer fills it in.
    public var dataSHA256: String
    /// Class ids in `/labels`, or real targets in `/targets` (attribute `task`, written only
    /// for regression so that classification files stay as they were).
    public var task: ModelTask

    public init(tokenizer: TokenizerInfo, labelNames: [String], sourcePath: String, sourceSHA256: String,
                rowCount: Int, tokenCount: Int, truncatedRows: Int, skippedRows: Int, maxTokenId: Int = -1, dataSHA256: String = "",
                task: ModelTask = .classification) {
        self.tokenizer = tokenizer
        self.labelNames = labelNames
        self.sourcePath = sourcePath
        self.sourceSHA256 = sourceSHA256
        self.rowCount = rowCount
        self.tokenCount = tokenCount
        self.truncatedRows = truncatedRows
        self.skippedRows = skippedRows
        self.maxTokenId = maxTokenId
        self.dataSHA256 = dataSHA256
        self.task = task
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
        try file.setAttribute(A.maxTokenId, maxTokenId)
        try file.setAttribute(A.dataSHA256, dataSHA256)
        if task != .classification { try file.setAttribute(A.task, task.rawValue) }
    }

    /// Reads the attributes after checking that the file is a tokenized dataset of this
    /// schema version and that every integer is in range; otherwise the error says what the
    /// file is and how to regenerate it. A format-1 file is refused from its attribute types
    /// alone, before any of its variable-length strings is read.
    public static func read(from file: H5File) throws -> DatasetInfo {
        typealias A = DatasetSchema.Attribute
        let path = file.filePath
        let remedy = "regenerate it with `txf prepare --input <text file> --vocab vocab.txt --output \(path)`"
        // Not a dataset at all (a model, a checkpoint, someone's HDF5 file): never advise writing over it.
        let prepare = "make a dataset with `txf prepare --input <text file> --vocab vocab.txt --output <dataset>.h5`"
        guard file.hasAttribute(A.kind) else {
            throw TxfError("\(path) is not a txf dataset (no \(A.kind) attribute); \(prepare)")
        }
        if file.hasVariableLengthString(A.kind) {
            throw TxfError("\(path) is a file of txf's format 1 (variable-length strings, which this txf does not read); \(remedy), or convert it with `python3 launch/txf-convert-format1.py \(path)`")
        }
        let kind = try file.stringAttribute(A.kind)
        guard kind == DatasetSchema.kind else {
            throw TxfError("\(path) is a txf '\(kind)' file, not a \(DatasetSchema.kind) (`txf inspect \(path)` shows it); \(prepare)")
        }
        let version = file.hasAttribute(A.schemaVersion) ? try file.int64Attribute(A.schemaVersion) : -1
        guard version == DatasetSchema.version else {
            throw TxfError("\(path) has dataset schema version \(version); this txf reads version \(DatasetSchema.version); \(remedy)")
        }
        let tokenizerKind = try file.stringAttribute(TokenizerInfo.Attribute.kind.datasetName)
        guard tokenizerKind == DatasetSchema.tokenizer else {
            throw TxfError("\(path) was tokenized with '\(tokenizerKind)'; txf reads \(DatasetSchema.tokenizer) datasets; \(remedy)")
        }
        let tokenizer = try TokenizerInfo.read(from: file)
        func count(_ name: String, _ range: ClosedRange<Int64> = 0 ... Int64(Int32.max) * 1 << 16) throws -> Int {
            Int(try file.int64Attribute(name, in: range, remedy: remedy))
        }
        var task = ModelTask.classification
        if file.hasAttribute(A.task) {
            let name = try file.stringAttribute(A.task)
            guard let known = ModelTask(rawValue: name) else {
                throw TxfError("\(path) has task '\(name)'; this txf knows \(ModelTask.allCases.map(\.rawValue).joined(separator: ", ")); \(remedy)")
            }
            task = known
        }
        return DatasetInfo(
            tokenizer: tokenizer,
            labelNames: try file.stringArrayAttribute(A.labelNames),
            sourcePath: try file.stringAttribute(A.sourcePath),
            sourceSHA256: try file.stringAttribute(A.sourceSHA256),
            rowCount: try count(A.rowCount),
            tokenCount: try count(A.tokenCount),
            truncatedRows: try count(A.truncatedRows),
            skippedRows: try count(A.skippedRows),
            maxTokenId: try count(A.maxTokenId, -1 ... Int64(tokenizer.vocabSize - 1)),
            dataSHA256: try file.stringAttribute(A.dataSHA256), task: task)
    }
}

extension H5File {
    /// Integer root attribute `name`, refused with `remedy` unless it lies in `range`.
    func int64Attribute(_ name: String, in range: ClosedRange<Int64>, remedy: String) throws -> Int64 {
        let value = try int64Attribute(name)
        guard range.contains(value) else {
            throw TxfError("\(filePath) is damaged: attribute \(name) is \(value), outside \(range.lowerBound)...\(range.upperBound); \(remedy)")
        }
        return value
    }
}
