/// Token rows padded to the batch's own longest row: what a dataset read returns
/// (`TokenDataset.readRows`) and what the model takes for one micro-step.
///
/// Row b holds `lengths[b]` real tokens ([CLS] … [SEP]) followed by padding (the pad id).
/// `sampleIndices[b]` is the row's position within the *global* batch of the optimizer step;
/// dropout masks are keyed by it, so the same sample draws the same mask no matter which rank
/// or micro-step carries it. Reuse one value across steps: `readRows(_:into:)` keeps the
/// arrays' capacity, so steady-state reads do not grow memory.
public struct MicroBatch: Sendable, Equatable {
    /// Padded length of every row, S (≤ the model's maxSeqLen and max_position_embeddings).
    public var seqLen: Int
    /// Token ids, [batch, seqLen] row-major.
    public var tokens: [Int32]
    /// Real tokens per row, [batch], each in 1...seqLen.
    public var lengths: [Int]
    /// Token-type (segment) ids, [batch, seqLen], or nil for all 0 (single-sentence tasks).
    public var tokenTypes: [Int32]?
    /// Class labels, [batch] (−1 where a dataset row has none), or nil for inference (no loss).
    public var labels: [Int32]?
    /// Regression targets, [batch], or nil (classification data, or inference). A regression
    /// model takes its loss against these and ignores `labels`.
    public var targets: [Float]?
    /// Index of each row within the global batch, [batch] (keys dropout masks).
    public var sampleIndices: [Int]
    /// Dataset row of each sample when read from a dataset, [batch]; empty otherwise.
    public var rows: [Int]

    /// Rows in this micro-batch.
    public var batchSize: Int { lengths.count }

    /// Sum of real (unpadded) tokens.
    public var realTokenCount: Int { lengths.reduce(0, +) }

    /// The real tokens of sample `b` (without padding).
    public func tokens(ofSample b: Int) -> ArraySlice<Int32> {
        tokens[(b * seqLen) ..< (b * seqLen + lengths[b])]
    }

    /// An empty batch, to be filled by `TokenDataset.readRows(_:into:)`.
    public init() {
        self.init(tokens: [], lengths: [], seqLen: 0, labels: [], sampleIndices: [])
    }

    public init(tokens: [Int32], lengths: [Int], seqLen: Int, labels: [Int32]?, sampleIndices: [Int],
                tokenTypes: [Int32]? = nil, rows: [Int] = [], targets: [Float]? = nil) {
        precondition(tokens.count == lengths.count * seqLen, "tokens must be [batch, seqLen]")
        precondition(sampleIndices.count == lengths.count, "one sample index per row")
        precondition(labels == nil || labels!.count == lengths.count, "one label per row")
        precondition(tokenTypes == nil || tokenTypes!.count == tokens.count, "tokenTypes must be [batch, seqLen]")
        precondition(rows.isEmpty || rows.count == lengths.count, "one dataset row per sample")
        precondition(targets == nil || targets!.count == lengths.count, "one target per row")
        self.seqLen = seqLen
        self.tokens = tokens
        self.lengths = lengths
        self.tokenTypes = tokenTypes
        self.labels = labels
        self.sampleIndices = sampleIndices
        self.rows = rows
        self.targets = targets
    }

    /// Pads `rows` to the longest of them with `padID`. `sampleIndices` defaults to 0..<rows.count.
    public init(rows: [[Int32]], labels: [Int32]?, sampleIndices: [Int]? = nil, padID: Int32 = 0, targets: [Float]? = nil) {
        let s = rows.map(\.count).max() ?? 0
        var tokens = [Int32](repeating: padID, count: rows.count * s)
        for (b, row) in rows.enumerated() {
            for (t, id) in row.enumerated() { tokens[b * s + t] = id }
        }
        self.init(tokens: tokens, lengths: rows.map(\.count), seqLen: s, labels: labels,
                  sampleIndices: sampleIndices ?? Array(0 ..< rows.count), targets: targets)
    }
}
