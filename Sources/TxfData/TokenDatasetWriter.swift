import TxfCore
import TxfHDF5
import TxfText

/// Writes a tokenized dataset (`DatasetSchema`) row by row with bounded memory.
///
/// Rows collect in small buffers that are appended to extendible `/tokens` and `/offsets`
/// datasets (and `/pair_starts`, `/targets` where the dataset has them) whenever they fill, so
/// memory does not grow with the text. The labels (4 bytes a row) are held until `finish`,
/// which can renumber them: text labels get their ids only once every name is known
/// (`LabelRule.finalIds`). `finish` writes the labels, the vocab and the attributes, closes
/// and fsyncs; the caller renames the file.
public final class TokenDatasetWriter {
    public let path: String
    /// Rows and tokens appended so far.
    public private(set) var rowCount = 0
    public private(set) var tokenCount = 0

    private let file: H5File
    private let tokens: H5Dataset
    private let offsets: H5Dataset
    private let labels: H5Dataset
    /// `/targets` of a regression dataset; nil for classification.
    private let targets: H5Dataset?
    /// nil unless the rows are sentence pairs.
    private let pairStarts: H5Dataset?
    private var tokenBuffer: [Int32] = []     // [pending tokens]
    private var offsetBuffer: [Int64] = []    // [pending rows] end offset of each row
    private var rowLabels: [Int32] = []       // [rows] every row's label, written by `finish`
    private var targetBuffer: [Float] = []    // [pending rows]
    private var pairStartBuffer: [Int32] = [] // [pending rows] where segment b starts (pairs only)
    private var hashes: DatasetDataHash
    private var maxTokenId: Int32 = -1
    private let tokenFlush = 1 << 20
    private let rowFlush = 1 << 16

    /// Creates (truncating) `path` with empty extendible datasets and offsets = [0]; for
    /// `task` regression also `/targets`.
    ///
    /// - Parameter pairs: the rows are sentence pairs; `append` then takes each row's pair start.
    public init(path: String, task: ModelTask = .classification, pairs: Bool = false) throws {
        self.path = path
        hashes = DatasetDataHash(pairs: pairs, withTargets: task == .regression)
        file = try H5File.create(path)
        tokens = try file.createExtendibleDataset(DatasetSchema.tokens, of: Int32.self,
                                                  storage: .compressed(chunk: [DatasetSchema.tokenChunk]))
        offsets = try file.createExtendibleDataset(DatasetSchema.offsets, of: Int64.self,
                                                   storage: .compressed(chunk: [DatasetSchema.rowChunk]))
        labels = try file.createExtendibleDataset(DatasetSchema.labels, of: Int32.self,
                                                  storage: .compressed(chunk: [DatasetSchema.rowChunk]))
        targets = task == .regression
            ? try file.createExtendibleDataset(DatasetSchema.targets, of: Float.self, storage: .compressed(chunk: [DatasetSchema.rowChunk]))
            : nil
        pairStarts = try pairs ? file.createExtendibleDataset(DatasetSchema.pairStarts, of: Int32.self,
                                                              storage: .compressed(chunk: [DatasetSchema.rowChunk])) : nil
        tokenBuffer.reserveCapacity(tokenFlush + 4096)
        offsetBuffer.reserveCapacity(rowFlush + 1)
        offsetBuffer.append(0)
    }

    /// Appends one row's ids ([CLS] … [SEP]) and its label (and, in a regression dataset, its
    /// target; required there, refused elsewhere).
    ///
    /// - Parameter pairStart: for a pair dataset, where segment b starts in `ids` (required
    ///   there, refused in a dataset of single sentences).
    public func append(_ ids: [Int32], label: Int32, target: Float? = nil, pairStart: Int? = nil) throws {
        precondition((target != nil) == (targets != nil), "a target exactly for each row of a regression dataset")
        precondition((pairStart != nil) == (pairStarts != nil), "a pair start exactly for every row of a pair dataset")
        if let target { targetBuffer.append(target) }
        if let pairStart { pairStartBuffer.append(Int32(pairStart)) }
        tokenBuffer.append(contentsOf: ids)
        tokenCount += ids.count
        rowCount += 1
        offsetBuffer.append(Int64(tokenCount))
        rowLabels.append(label)
        if tokenBuffer.count >= tokenFlush || offsetBuffer.count >= rowFlush { try flush() }
    }

    /// Writes the pending tokens, offsets, pair starts and targets to the file.
    public func flush() throws {
        try tokenBuffer.withUnsafeBufferPointer { try tokens.append($0) }
        try offsetBuffer.withUnsafeBufferPointer { try offsets.append($0) }
        hashes.update(tokens: tokenBuffer, offsets: offsetBuffer, labels: [])
        if let pairStarts {
            try pairStartBuffer.withUnsafeBufferPointer { try pairStarts.append($0) }
            hashes.update(pairStarts: pairStartBuffer)
            pairStartBuffer.removeAll(keepingCapacity: true)
        }
        if let targets {
            try targetBuffer.withUnsafeBufferPointer { try targets.append($0) }
            hashes.update(targets: targetBuffer)
            targetBuffer.removeAll(keepingCapacity: true)
        }
        maxTokenId = tokenBuffer.reduce(maxTokenId, max)
        tokenBuffer.removeAll(keepingCapacity: true)
        offsetBuffer.removeAll(keepingCapacity: true)
    }

    /// Flushes, writes the labels (label l ≥ 0 stored as `relabel[l]` when given), stores
    /// `vocabBytes` as `/vocab` and `info` as root attributes, closes, fsyncs.
    /// `info.rowCount`, `tokenCount`, `maxTokenId` and `dataSHA256` are overwritten with what
    /// was appended.
    public func finish(info: DatasetInfo, vocabBytes: [UInt8], relabel: [Int32]? = nil) throws {
        try flush()
        if let relabel {
            for i in rowLabels.indices where rowLabels[i] >= 0 { rowLabels[i] = relabel[Int(rowLabels[i])] }
        }
        try rowLabels.withUnsafeBufferPointer { try labels.append($0) }
        hashes.update(tokens: [], offsets: [], labels: rowLabels)
        var info = info
        info.rowCount = rowCount
        info.tokenCount = tokenCount
        info.maxTokenId = Int(maxTokenId)
        info.dataSHA256 = hashes.finalizeHex()
        try file.writeDataset(DatasetSchema.vocab, vocabBytes,
                              storage: .compressed(chunk: [max(1, min(vocabBytes.count, 1 << 18))])).close()
        try info.write(to: file)
        tokens.close()
        offsets.close()
        labels.close()
        targets?.close()
        pairStarts?.close()
        try file.closeAndSync()
    }

    /// Closes everything without finishing (after an error; the caller deletes the file).
    public func abandon() {
        tokens.close()
        offsets.close()
        labels.close()
        targets?.close()
        pairStarts?.close()
        try? file.close()
    }
}
