/// The model's input for one micro-step: token rows padded to the micro-batch's own longest row.
///
/// Row b holds `lengths[b]` real tokens followed by padding (any valid id; the pad id by
/// convention). `sampleIndices[b]` is the row's position within the *global* batch of the
/// optimizer step; dropout masks are keyed by it, so the same sample draws the same mask no
/// matter which rank or micro-step carries it.
public struct MicroBatch: Sendable, Equatable {
    /// Padded length of every row, S (≤ the model's maxSeqLen and max_position_embeddings).
    public var seqLen: Int
    /// Token ids, [batch, seqLen] row-major.
    public var tokens: [Int32]
    /// Real tokens per row, [batch], each in 1...seqLen.
    public var lengths: [Int]
    /// Token-type (segment) ids, [batch, seqLen], or nil for all 0 (single-sentence tasks).
    public var tokenTypes: [Int32]?
    /// Class labels, [batch], or nil for inference (no loss).
    public var labels: [Int32]?
    /// Index of each row within the global batch, [batch] (keys dropout masks).
    public var sampleIndices: [Int]

    /// Rows in this micro-batch.
    public var batchSize: Int { lengths.count }

    public init(tokens: [Int32], lengths: [Int], seqLen: Int, labels: [Int32]?, sampleIndices: [Int],
                tokenTypes: [Int32]? = nil) {
        precondition(tokens.count == lengths.count * seqLen, "tokens must be [batch, seqLen]")
        precondition(sampleIndices.count == lengths.count, "one sample index per row")
        precondition(labels == nil || labels!.count == lengths.count, "one label per row")
        precondition(tokenTypes == nil || tokenTypes!.count == tokens.count, "tokenTypes must be [batch, seqLen]")
        self.seqLen = seqLen
        self.tokens = tokens
        self.lengths = lengths
        self.tokenTypes = tokenTypes
        self.labels = labels
        self.sampleIndices = sampleIndices
    }

    /// Pads `rows` to the longest of them with `padID`. `sampleIndices` defaults to 0..<rows.count.
    public init(rows: [[Int32]], labels: [Int32]?, sampleIndices: [Int]? = nil, padID: Int32 = 0) {
        let s = rows.map(\.count).max() ?? 0
        var tokens = [Int32](repeating: padID, count: rows.count * s)
        for (b, row) in rows.enumerated() {
            for (t, id) in row.enumerated() { tokens[b * s + t] = id }
        }
        self.init(tokens: tokens, lengths: rows.map(\.count), seqLen: s, labels: labels,
                  sampleIndices: sampleIndices ?? Array(0 ..< rows.count))
    }
}

/// Whether a forward pass trains (dropout on, masks keyed by seed and optimizer step) or
/// evaluates (dropout off).
public enum ForwardMode: Sendable, Equatable {
    case eval
    case train(seed: UInt64, step: UInt64)
}
