extension LoRAConfig {
    /// Model FLOPs of one LoRA training step (forward + backward) over sequences of the given
    /// real lengths, counting only the work LoRA needs:
    ///
    /// - frozen projections and FFN: forward 2·P and input gradient 2·P per token (P = the
    ///   encoder's matmul weights, `matmulParametersPerToken`), no weight gradient; block 0's
    ///   query/key/value input gradient (6·D² per token) is not needed below frozen embeddings;
    /// - attention 12·N·D·len² per sequence, as in full fine-tuning (it has no weights);
    /// - each adapter 6·r·(in + out) per token (forward 2·r·(in+out); dB, du, dA, dx);
    /// - pooler 4·D² per sequence when frozen (forward and input gradient), 6·D² when trained;
    ///   classifier 6·L·D.
    public func trainingFLOPs(_ model: ModelConfig, lengths: some Sequence<Int>) -> Double {
        var tokens = 0.0, squares = 0.0, sequences = 0.0
        for len in lengths {
            tokens += Double(len)
            squares += Double(len) * Double(len)
            sequences += 1
        }
        let d = Double(model.hiddenSize), layers = Double(model.numHiddenLayers)
        var adapterWidths = 0.0
        for target in targets {
            let (out, inFeatures) = target.shape(model)
            adapterWidths += Double(out + inFeatures)
        }
        let perToken = 4 * Double(model.matmulParametersPerToken) - 6 * d * d
            + 6 * Double(rank) * adapterWidths * layers
        let head = (trainPooler ? 6 : 4) * d * d + 6 * Double(model.numLabels) * d
        return perToken * tokens + 12 * layers * d * squares + head * sequences
    }
}
