/// A packed micro-batch: rows padded to the longest row in the batch.
///
/// Reuse one value across steps (`TokenDataset.readRows(_:into:)` keeps its arrays' capacity),
/// so steady-state reads do not grow memory.
public struct TokenBatch: Sendable, Equatable {
    /// Dataset row of each sample, in the order requested.
    public var rows: [Int] = []          // [batch]
    /// Tokens per padded row: the longest row of the batch, or the requested fixed length.
    public var seqLen = 0
    /// Token ids, row-major; positions at and after `lengths[b]` hold the pad id.
    public var tokens: [Int32] = []      // [batch, seqLen]
    /// Real tokens per row ([CLS] … [SEP]); attention covers positions 0 ..< lengths[b].
    public var lengths: [Int32] = []     // [batch]
    /// Class id per row (-1 in an unlabelled dataset).
    public var labels: [Int32] = []      // [batch]

    public init() {}

    /// Samples in the batch.
    public var batchSize: Int { rows.count }

    /// Sum of real (unpadded) tokens.
    public var realTokenCount: Int { lengths.reduce(0) { $0 + Int($1) } }

    /// The real tokens of sample `b` (without padding).
    public func tokens(ofSample b: Int) -> ArraySlice<Int32> {
        tokens[(b * seqLen)..<(b * seqLen + Int(lengths[b]))]
    }
}
