extension ModelConfig {
    /// Weights that enter a matrix multiply per token: the encoder's projections and FFN,
    /// N · (4·D² + 2·D·F). Embedding lookups are not multiplies; pooler and classifier run
    /// once per sequence and are counted separately by `trainingFLOPs(lengths:)`.
    public var matmulParametersPerToken: Int {
        numHiddenLayers * (4 * hiddenSize * hiddenSize + 2 * hiddenSize * intermediateSize)
    }

    /// Model FLOPs of one forward + backward over sequences of the given real lengths (padding
    /// not counted, as for MFU): 6 · matmul parameters · tokens, plus attention
    /// 12 · N · D · len² per sequence (Q·Kᵀ and P·V, 2·len²·D each, forward ×3 for training),
    /// plus the pooler and classifier 6 · (D² + L·D) per sequence.
    public func trainingFLOPs(lengths: some Sequence<Int>) -> Double {
        var tokens = 0.0, squares = 0.0, sequences = 0.0
        for len in lengths {
            tokens += Double(len)
            squares += Double(len) * Double(len)
            sequences += 1
        }
        let d = Double(hiddenSize)
        return 6 * Double(matmulParametersPerToken) * tokens
            + 12 * Double(numHiddenLayers) * d * squares
            + 6 * (d * d + Double(numLabels) * d) * sequences
    }
}
