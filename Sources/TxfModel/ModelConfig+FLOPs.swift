import TxfCore

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
    /// plus the pooler and classifier 6 · (D² + L·D) per sequence (a masked-LM model has none:
    /// its head's work is per picked token, `maskedLMHeadFLOPs`).
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
            + (head == .classifier ? 6 * (d * d + Double(numLabels) * d) * sequences : 0)
    }

    /// Model FLOPs of the masked-LM head's forward + backward over `picks` picked tokens: the
    /// transform and the decoder, 6 · (D² + V·D) each (the decoder's recomputation in backward
    /// is not model work and not counted).
    public func maskedLMHeadFLOPs(picks: Int) -> Double {
        let d = Double(hiddenSize)
        return 6 * (d * d + Double(vocabSize) * d) * Double(picks)
    }
}

extension ModelConfig {
    /// Model FLOPs of one training step of this model over sequences of the given real lengths:
    /// full fine-tuning without `lora` (`trainingFLOPs(lengths:)`), else only the work LoRA
    /// needs (`LoRAConfig.trainingFLOPs`); a masked-LM model's head over its `picks`. The
    /// numerator of every MFU txf reports.
    public func trainingFLOPs(lengths: [Int], lora: LoRAConfig?, picks: Int = 0) -> Double {
        (lora.map { $0.trainingFLOPs(self, lengths: lengths) } ?? trainingFLOPs(lengths: lengths))
            + (head == .maskedLM ? maskedLMHeadFLOPs(picks: picks) : 0)
    }

    /// The sgemm shapes of one micro-step of `tokens` token rows: projections forward (NT),
    /// input gradients (NN) and weight gradients (TN) at hidden and FFN widths. Their measured
    /// peak is the denominator of the MFU.
    public func matmulShapes(tokens t: Int) -> [SgemmBenchmark.Shape] {
        let d = hiddenSize, f = intermediateSize
        return [
            .init(m: t, k: d, n: d, transB: true, role: "Q/K/V/output projection x·Wᵀ"),
            .init(m: t, k: d, n: f, transB: true, role: "FFN up x·Wᵀ"),
            .init(m: t, k: f, n: d, transB: true, role: "FFN down x·Wᵀ"),
            .init(m: t, k: d, n: d, role: "input gradient dY·W, hidden"),
            .init(m: t, k: d, n: f, role: "input gradient dY·W, FFN down"),
            .init(m: d, k: t, n: d, transA: true, role: "weight gradient dYᵀ·X, hidden"),
            .init(m: f, k: t, n: d, transA: true, role: "weight gradient dYᵀ·X, FFN up"),
        ]
    }
}
