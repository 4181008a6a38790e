import Foundation
import TxfCore
import TxfHDF5
import TxfText

/// A prepared dataset opened for training: validates the schema, verifies the data against
/// `data_sha256` and `max_token_id` (one pass over `/tokens`), keeps `/offsets` and `/labels`
/// in memory (12 bytes per row; 16 with the `/pair_starts` of sentence pairs), and reads the
/// tokens of only the rows asked for.
///
/// `/tokens` stays open so its chunk cache serves repeated reads; a read selects the requested
/// rows' token ranges (neighbouring rows merged into one run) and never touches the rest, so a
/// dataset larger than memory works. Not thread-safe: one reader per thread (it reuses scratch
/// buffers between reads).
public final class TokenDataset {
    public let path: String
    public let info: DatasetInfo
    /// Row i's tokens are `[offsets[i], offsets[i+1])` in `/tokens`.
    public let offsets: [Int64]   // [rowCount + 1]
    /// Class id per row (-1 when unlabelled).
    public let labels: [Int32]    // [rowCount]
    /// Real-valued target per row of a regression dataset (`task` = "regression"); nil otherwise.
    public let targets: [Float]?  // [rowCount]
    /// Sentence pairs: where segment b starts in each row (token type 1 from there on); nil for
    /// single sentences.
    public let pairStarts: [Int32]?  // [rowCount]

    private let file: H5File
    private let tokens: H5Dataset
    private var uniqueRows: [Int] = []     // [≤ batch] requested rows, sorted, distinct
    private var startInScratch: [Int] = [] // [≤ batch] where each unique row's tokens start in scratch
    private var runs: [Range<Int>] = []    // token ranges to read, ascending
    private var scratch: [Int32] = []      // [tokens of the unique rows] in file order

    /// Opens and validates `path`: attributes in range, shapes consistent, every row no longer
    /// than `max_length`, every label a class, and the data equal to what `prepare` hashed
    /// (so every token id is at most `max_token_id`, which is below `vocab_size`).
    ///
    /// - Parameter chunkCacheBytes: chunk cache for `/tokens`. Random rows hit random chunks;
    ///   32 MiB holds 512 decompressed 64 KiB chunks (all of SST-2's tokens).
    public init(path: String, chunkCacheBytes: Int = 32 << 20) throws {
        self.path = path
        let textKinds: Set<String> = ["tsv", "csv", "jsonl", "json", "txt"]
        if textKinds.contains((path as NSString).pathExtension.lowercased()), FileManager.default.fileExists(atPath: path) {
            let dataset = ((path as NSString).deletingPathExtension as String) + ".h5"
            throw TxfError("\(path) is a text file, not a tokenized dataset; make one with `txf prepare --input \(path) --vocab vocab.txt --output \(dataset)` and pass that")
        }
        file = try H5File.open(path)
        info = try DatasetInfo.read(from: file)
        let n = info.rowCount
        let offsetSet = try file.openDataset(DatasetSchema.offsets)
        defer { offsetSet.close() }
        try offsetSet.checkRank(1)
        let labelSet = try file.openDataset(DatasetSchema.labels)
        defer { labelSet.close() }
        try labelSet.checkRank(1)
        tokens = try file.openDataset(DatasetSchema.tokens, chunkCacheBytes: chunkCacheBytes)
        try tokens.checkRank(1)
        try tokens.checkElementType(Int32.self)
        guard offsetSet.count == n + 1, labelSet.count == n, tokens.count == info.tokenCount else {
            throw TxfError("\(path) is damaged: row_count \(n), token_count \(info.tokenCount) but /offsets has \(offsetSet.count), /labels \(labelSet.count), /tokens \(tokens.count) values; regenerate it with `txf prepare`")
        }
        offsets = try offsetSet.read(as: Int64.self)
        labels = try labelSet.read(as: Int32.self)
        if info.task == .regression {
            let targetSet = try file.openDataset(DatasetSchema.targets)
            defer { targetSet.close() }
            try targetSet.checkRank(1)
            try targetSet.checkElementType(Float.self)
            guard targetSet.count == n else {
                throw TxfError("\(path) is damaged: row_count \(n) but /targets has \(targetSet.count) values; regenerate it with `txf prepare`")
            }
            let values = try targetSet.read(as: Float.self)
            if let bad = values.firstIndex(where: { !$0.isFinite }) {
                throw TxfError("\(path) is damaged: row \(bad) has target \(values[bad]); regenerate it with `txf prepare`")
            }
            targets = values
        } else {
            targets = nil
        }
        pairStarts = try file.contains(DatasetSchema.pairStarts) ? file.readDataset(DatasetSchema.pairStarts, as: Int32.self) : nil
        guard offsets.first == 0, offsets.last == Int64(info.tokenCount),
              zip(offsets, offsets.dropFirst()).allSatisfy({ $0 <= $1 }) else {
            throw TxfError("\(path) is damaged: /offsets is not an ascending list from 0 to \(info.tokenCount); regenerate it with `txf prepare`")
        }
        // Labelled: every label is a class id 0..<K. Unlabelled (no names): every label is -1.
        let classes = Int32(info.labelNames.count)
        if let bad = labels.firstIndex(where: { classes == 0 ? $0 != -1 : ($0 < 0 || $0 >= classes) }) {
            throw TxfError("\(path) is damaged: row \(bad) has label \(labels[bad]) but the dataset has \(classes) classes")
        }
        let longest = Int64(info.tokenizer.maxLength)
        if let bad = (0 ..< n).first(where: { offsets[$0 + 1] - offsets[$0] > longest }) {
            throw TxfError("\(path) is damaged: row \(bad) has \(offsets[bad + 1] - offsets[bad]) tokens, more than max_length \(longest)")
        }
        if let pairStarts {
            // [CLS] a [SEP] b [SEP]: b starts after at least [CLS] [SEP] and before the last [SEP].
            guard pairStarts.count == n else {
                throw TxfError("\(path) is damaged: row_count \(n) but /\(DatasetSchema.pairStarts) has \(pairStarts.count) values; regenerate it with `txf prepare`")
            }
            if let bad = (0 ..< n).first(where: { pairStarts[$0] < 2 || Int64(pairStarts[$0]) >= offsets[$0 + 1] - offsets[$0] }) {
                throw TxfError("\(path) is damaged: row \(bad) of \(length(ofRow: bad)) tokens has its second segment start at \(pairStarts[bad]); regenerate it with `txf prepare`")
            }
        }
        try verifyData()
    }

    /// Hashes `/tokens` (in blocks of 1 Mi tokens), `/offsets` and `/labels` and refuses the
    /// file unless the hash is `data_sha256` and the largest token id is `max_token_id`.
    private func verifyData() throws {
        var hash = DatasetDataHash(pairs: pairStarts != nil, withTargets: targets != nil)
        var block = [Int32](repeating: 0, count: min(tokenCount, 1 << 20))
        var largest: Int32 = -1, smallest: Int32 = 0
        var start = 0
        while start < tokenCount {
            let end = min(tokenCount, start + block.count)
            if end - start < block.count { block.removeLast(block.count - (end - start)) }
            try block.withUnsafeMutableBufferPointer { try tokens.readRows(start ..< end, into: $0) }
            for id in block {
                largest = max(largest, id)
                smallest = min(smallest, id)
            }
            hash.update(tokens: block, offsets: [], labels: [])
            start = end
        }
        hash.update(tokens: [], offsets: offsets, labels: labels)
        if let pairStarts { hash.update(pairStarts: pairStarts) }
        if let targets { hash.update(targets: targets) }
        let regenerate = "regenerate it with `txf prepare`"
        guard hash.finalizeHex() == info.dataSHA256 else {
            let parts = ["tokens", "offsets", "labels"] + (pairStarts == nil ? [] : ["pair starts"]) + (targets == nil ? [] : ["targets"])
            let listing = parts.dropLast().joined(separator: ", ") + " or " + parts.last!
            throw TxfError("\(path) was edited or damaged after `txf prepare`: its \(listing) do not match data_sha256; \(regenerate)")
        }
        guard Int(largest) == info.maxTokenId, smallest >= 0 else {
            throw TxfError("\(path) is damaged: its token ids span \(smallest)...\(largest) but max_token_id is \(info.maxTokenId); \(regenerate)")
        }
    }

    /// Throws unless every token id is below `vocabSize`, the vocab of the model that will
    /// read the rows (an id past it would index outside the embedding table).
    ///
    /// - Parameter source: names the model in the message ("the model m.h5").
    public func checkTokenIds(below vocabSize: Int, source: String) throws {
        guard info.maxTokenId < vocabSize else {
            throw TxfError("\(path) holds token id \(info.maxTokenId) but \(source) has a vocab of \(vocabSize) tokens; prepare the data with that model's vocab.txt")
        }
    }

    public var rowCount: Int { info.rowCount }
    public var tokenCount: Int { info.tokenCount }
    public var labelNames: [String] { info.labelNames }
    public var task: ModelTask { info.task }
    public var padId: Int32 { info.tokenizer.padId }
    /// Whether the rows are sentence pairs (`[CLS] a [SEP] b [SEP]` with token types).
    public var isPairs: Bool { pairStarts != nil }

    /// Tokens in row `row`, [CLS] and [SEP] included.
    public func length(ofRow row: Int) -> Int { Int(offsets[row + 1] - offsets[row]) }

    /// Tokens per row.
    public var lengths: [Int32] {  // [rowCount]
        (0..<rowCount).map { Int32(offsets[$0 + 1] - offsets[$0]) }
    }

    /// A hash that ranks compare before training: equal exactly when they hold the same data
    /// (same source bytes, vocab, casing, max length, labels, rows and tokens; `data_sha256`,
    /// verified at open, covers the stored ids themselves).
    public var fingerprint: String {
        let description = ([
            DatasetSchema.kind, "v\(DatasetSchema.version)", "rows=\(rowCount)", "tokens=\(tokenCount)",
            "max_length=\(info.tokenizer.maxLength)", "lowercase=\(info.tokenizer.lowercase)", "vocab=\(info.tokenizer.vocabSHA256)",
            "source=\(info.sourceSHA256)", "skipped=\(info.skippedRows)", "labels=\(info.labelNames.joined(separator: "\u{1F}"))",
            "data=\(info.dataSHA256)",
        ] + (task == .classification ? [] : ["task=\(task.rawValue)"])).joined(separator: "\n")
        return SHA256.hex(of: Array(description.utf8))
    }

    /// Throws unless the dataset was tokenized with the vocab whose file hash is `sha256`.
    ///
    /// - Parameter source: how to name that vocab in the message ("the model's vocab.txt").
    public func checkVocab(sha256: String, source: String) throws {
        guard sha256 == info.tokenizer.vocabSHA256 else {
            throw TxfError("vocab does not match the dataset: \(path) was tokenized with a vocab of sha256 \(info.tokenizer.vocabSHA256.prefix(12))…, \(source) has \(sha256.prefix(12))…; run `txf prepare` again with that vocab")
        }
    }

    /// Throws unless `vocabulary` (and the lowercase flag) match the dataset's tokenizer.
    public func checkTokenizer(_ vocabulary: Vocabulary, lowercase: Bool, source: String) throws {
        try checkVocab(sha256: vocabulary.sha256, source: source)
        guard lowercase == info.tokenizer.lowercase else {
            throw TxfError("\(path) was tokenized \(info.tokenizer.lowercase ? "uncased" : "cased"), \(source) is \(lowercase ? "uncased" : "cased"); run `txf prepare` again with \(lowercase ? "--uncased" : "--cased")")
        }
    }

    /// The vocab.txt bytes stored in the file.
    public func vocabularyBytes() throws -> [UInt8] {
        try file.readDataset(DatasetSchema.vocab, as: UInt8.self)
    }

    /// The tokenizer's vocabulary, rebuilt from the stored vocab.txt (checked against its hash).
    public func vocabulary() throws -> Vocabulary {
        let bytes = try vocabularyBytes()
        guard SHA256.hex(of: bytes) == info.tokenizer.vocabSHA256 else {
            throw TxfError("\(path) is damaged: stored /vocab does not match vocab_sha256; regenerate it with `txf prepare`")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw TxfError("\(path): stored /vocab is not UTF-8")
        }
        // Lines as vocab.txt is read: split at \n, \r\n or \r; no token after a final newline.
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }).map(String.init)
        if lines.last == "" { lines.removeLast() }
        do { return try Vocabulary(tokens: lines) } catch let error as TxfError { throw TxfError("\(path): \(error.message)") }
    }

    /// The token ids of one row.
    public func tokens(ofRow row: Int) throws -> [Int32] {
        try readRows([row]).tokens(ofSample: 0).map { $0 }
    }

    /// Reads rows `rows` (any order, repeats allowed) into a new batch.
    public func readRows(_ rows: [Int], seqLen: Int? = nil) throws -> MicroBatch {
        var batch = MicroBatch()
        try readRows(rows, into: &batch, seqLen: seqLen)
        return batch
    }

    /// Reads rows `rows` (any order, repeats allowed) into `batch`, padded with the pad id.
    ///
    /// - Parameters:
    ///   - rows: dataset rows; sample b of the batch is row `rows[b]`.
    ///   - batch: overwritten; its arrays keep their capacity between calls.
    ///   - sampleIndices: the rows' positions in the global batch (they key dropout); nil: 0, 1, ….
    ///   - seqLen: fixed padded length (must be ≥ the longest requested row); nil: the longest.
    ///
    /// Pairs fill `batch.tokenTypes` ([batch, seqLen]: 0 through the first [SEP], 1 for the
    /// second segment, 0 on padding, as Hugging Face pads); single sentences leave it nil.
    public func readRows(_ rows: [Int], into batch: inout MicroBatch, sampleIndices: [Int]? = nil,
                         seqLen: Int? = nil) throws {
        var longest = 0
        for row in rows {
            guard row >= 0 && row < rowCount else { throw TxfError("\(path): row \(row) is outside 0..<\(rowCount)") }
            longest = max(longest, length(ofRow: row))
        }
        if let seqLen, seqLen < longest {
            throw TxfError("\(path): requested length \(seqLen) is shorter than row length \(longest)")
        }
        let width = seqLen ?? longest
        try readUniqueRows(rows)

        batch.rows.removeAll(keepingCapacity: true)
        batch.rows.append(contentsOf: rows)
        batch.seqLen = width
        batch.lengths.removeAll(keepingCapacity: true)
        fillTokenTypes(rows, width: width, into: &batch.tokenTypes)
        if batch.labels == nil { batch.labels = [] }
        batch.labels!.removeAll(keepingCapacity: true)
        batch.sampleIndices.removeAll(keepingCapacity: true)
        if let sampleIndices {
            precondition(sampleIndices.count == rows.count, "one sample index per row")
            batch.sampleIndices.append(contentsOf: sampleIndices)
        } else {
            batch.sampleIndices.append(contentsOf: rows.indices)
        }
        batch.tokens.removeAll(keepingCapacity: true)
        batch.tokens.append(contentsOf: repeatElement(info.tokenizer.padId, count: rows.count * width))
        scratch.withUnsafeBufferPointer { source in
            batch.tokens.withUnsafeMutableBufferPointer { target in
                for (b, row) in rows.enumerated() {
                    let count = length(ofRow: row)
                    let slot = binarySearch(uniqueRows, row)
                    (target.baseAddress! + b * width).update(from: source.baseAddress! + startInScratch[slot], count: count)
                }
            }
        }
        for row in rows {
            batch.lengths.append(length(ofRow: row))
            batch.labels!.append(labels[row])
        }
        if let targets {
            if batch.targets == nil { batch.targets = [] }
            batch.targets!.removeAll(keepingCapacity: true)
            for row in rows { batch.targets!.append(targets[row]) }
        } else {
            batch.targets = nil
        }
    }

    /// Token types of `rows` padded to `width`, or nil for single sentences; reuses `types`' storage.
    private func fillTokenTypes(_ rows: [Int], width: Int, into types: inout [Int32]?) {
        guard let pairStarts else { types = nil; return }
        if types == nil { types = [] }
        types!.removeAll(keepingCapacity: true)
        types!.append(contentsOf: repeatElement(0, count: rows.count * width))
        for (b, row) in rows.enumerated() {
            for t in Int(pairStarts[row]) ..< length(ofRow: row) { types![b * width + t] = 1 }
        }
    }

    /// Reads the tokens of the distinct rows of `rows` into `scratch`, in file order.
    private func readUniqueRows(_ rows: [Int]) throws {
        uniqueRows.removeAll(keepingCapacity: true)
        uniqueRows.append(contentsOf: rows)
        uniqueRows.sort()
        var write = 0
        for i in uniqueRows.indices where i == 0 || uniqueRows[i] != uniqueRows[i - 1] {
            uniqueRows[write] = uniqueRows[i]
            write += 1
        }
        uniqueRows.removeSubrange(write...)
        startInScratch.removeAll(keepingCapacity: true)
        runs.removeAll(keepingCapacity: true)
        var total = 0
        for row in uniqueRows {
            startInScratch.append(total)
            total += length(ofRow: row)
            let start = Int(offsets[row]), end = Int(offsets[row + 1])
            // Neighbouring rows are neighbouring token ranges: one run.
            if let last = runs.last, last.upperBound == start {
                runs[runs.count - 1] = last.lowerBound..<end
            } else {
                runs.append(start..<end)
            }
        }
        if scratch.count < total { scratch.append(contentsOf: repeatElement(0, count: total - scratch.count)) }
        try scratch.withUnsafeMutableBufferPointer { try tokens.readRows(runs: runs, into: $0) }
    }

    private func binarySearch(_ sorted: [Int], _ value: Int) -> Int {
        var low = 0, high = sorted.count
        while low < high {
            let mid = (low + high) / 2
            if sorted[mid] < value { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// Closes the file now (also done at deinit).
    public func close() {
        tokens.close()
        try? file.close()
    }
}
