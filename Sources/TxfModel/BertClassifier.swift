import Foundation
import TxfCore
import TxfMatmul

/// A BERT-style encoder classifier with hand-written forward and backward; with
/// `config.head` masked-LM, a BERT masked language model instead (`MaskedLMHead`: the pooler
/// and classifier below are replaced by the picks' predictions of their original tokens).
///
///     e   = word[tok] + position[t] + type[tt];   h₀ = dropout(LN(e))
///     hₗ  = block(hₗ₋₁), l = 1…N                    (post-LN, see `blockForward`)
///     p   = dropout(tanh(W_p · s + b_p));   z = W_c · p + b_c
///           s = h_N[CLS], or with mean pooling the mean of h_N over the row's tokens
///     loss = Σ_b (logsumexp(z_b) − z_b[label_b])   (sum over the micro-batch)
///
/// Parameters live in one flat buffer laid out by `table` (Hugging Face names, [out, in]
/// weights); gradients of the trainable tensors in a second buffer with the same offsets
/// (`ParameterTable`). Activations are allocated once for `maxBatch × maxSeqLen` tokens; a
/// step allocates nothing. Usage per micro-step: `forward(batch, mode:)` then
/// `backward(lossScale: 1/G)`, which adds `(1/G) · ∂(Σ sample losses)` into `gradients`.
/// Every matrix product runs on `products`, the engine the model was built for (`MatmulMode`);
/// whoever writes `parameters` outside the model calls `parametersDidChange()` afterwards.
/// Not thread-safe: one model per training thread.
public final class BertClassifier {
    public let config: ModelConfig
    /// Name → (offset, shape, trainable, decays) of every tensor.
    public let table: ParameterTable
    /// All parameters, [table.totalCount].
    public let parameters: FloatBuffer
    /// Gradients of the trainable tensors, [table.trainableCount], same offsets as `parameters`.
    public let gradients: FloatBuffer
    /// Largest micro-batch (rows) and padded length the activation buffers hold.
    public let maxBatch: Int, maxSeqLen: Int
    /// [vocab] nonzero at every row of the word-embedding gradient that may be nonzero: the
    /// rows backward added to since `zeroGradients` (a batch touches a few hundred of BERT's
    /// 30,522). Float, so ranks can sum their marks in place (`DataParallelUpdate`); whoever
    /// writes other rows of the word gradient marks them too. Empty when the table is frozen.
    public let touchedWordRows: FloatBuffer
    /// Offset and row count of the word-embedding gradient, when trainable.
    let wordGradient: (offset: Int, rows: Int)?

    let acts: Activations
    /// Whether any embedding tensor is trainable (else backward stops after block 0).
    let embeddingsTrainable: Bool
    var blockParams: [BlockTensors] = [], blockGrads: [BlockTensors] = []
    /// Shape of the last forward (nil before the first); backward differentiates that pass.
    var last: PassShape?
    var lastHasLabels = false
    /// LoRA adapters and their activations (nil without LoRA).
    let lora: LoRAAdapters?
    /// The engine of every matrix product, with its prepared weight copies.
    public let products: MatrixProducts
    /// The masked-LM head and the corruption of its inputs (nil for a classifier).
    let maskedLM: (head: MaskedLMHead, masking: TokenMasking)?
    /// The step of the training forward that last refreshed the trainable weights' copies.
    var lastRefreshStep: UInt64?

    /// The LoRA configuration, or nil for a plain model.
    public var loraConfig: LoRAConfig? { lora?.config }

    /// Builds the model with zeroed parameters (call `initializeWeights(seed:)` or load them).
    /// `trainable(name)` picks the tensors that get gradients (default: all). With `lora`, the
    /// model carries adapters on its targets and trains only what `LoRAConfig.isTrainable` says.
    /// `matmul` is the engine of the products (default fp32 OpenBLAS). A masked-LM model
    /// (`config.head`) needs `masking`, the vocabulary's [MASK] and special ids.
    /// - Throws: `TxfError` for an invalid configuration, or when `matmul` cannot run here
    ///   (oneDNN bf16 on a CPU without bf16).
    public init(config: ModelConfig, maxBatch: Int, maxSeqLen: Int, lora loraConfig: LoRAConfig? = nil,
                trainable: (String) -> Bool = { _ in true }, matmul: MatmulMode = .openBLAS,
                masking: TokenMasking? = nil) throws {
        try config.validate()
        if config.head == .maskedLM {
            guard let masking, masking.vocabSize == config.vocabSize else {
                throw TxfError("model: a masked-LM model needs the masking of its vocabulary of \(config.vocabSize) tokens")
            }
            guard loraConfig == nil else { throw TxfError("model: LoRA adapts a classifier; a masked-LM model trains in full") }
        }
        guard maxBatch > 0 else { throw TxfError("model: maxBatch must be positive, got \(maxBatch)") }
        guard maxSeqLen > 0, maxSeqLen <= config.maxPositionEmbeddings else {
            throw TxfError("model: max sequence length \(maxSeqLen) must be in 1...\(config.maxPositionEmbeddings) (max_position_embeddings)")
        }
        self.config = config
        self.maxBatch = maxBatch
        self.maxSeqLen = maxSeqLen
        try loraConfig?.validate(for: config)
        table = ParameterTable.bertClassifier(config, lora: loraConfig, trainable: trainable)
        parameters = FloatBuffer(count: table.totalCount)
        gradients = FloatBuffer(count: table.trainableCount)
        embeddingsTrainable = table.entries.contains { $0.name.hasPrefix("embeddings.") && $0.trainable }
        let word = table.info("embeddings.word_embeddings.weight")
        wordGradient = word.trainable ? (word.offset, config.vocabSize) : nil
        touchedWordRows = FloatBuffer(count: word.trainable ? config.vocabSize : 0)
        acts = Activations(config: config, maxBatch: maxBatch, maxSeqLen: maxSeqLen)
        acts.lastBlockCLSOnly = config.pooling == .cls && config.head == .classifier
        maskedLM = config.head == .maskedLM
            ? (MaskedLMHead(maxTokens: maxBatch * maxSeqLen, dim: config.hiddenSize, vocabSize: config.vocabSize), masking!)
            : nil
        let products = try MatrixProducts(mode: matmul, preparedTokens: maxBatch * maxSeqLen)
        self.products = products
        let table = table, parameters = parameters, gradients = gradients
        // Every [out, in] matrix but the embedding tables multiplies activations as a weight;
        // so does the word-embedding table as the masked-LM head's decoder.
        let decoder = config.head == .maskedLM ? "embeddings.word_embeddings.weight" : nil
        for e in table.entries where e.shape.count == 2 && (!e.name.hasPrefix("embeddings.") || e.name == decoder) {
            products.register(weight: parameters.pointer + e.offset, outFeatures: e.shape[0], inFeatures: e.shape[1],
                              trainable: e.trainable)
        }
        lora = loraConfig.map { c in
            LoRAAdapters(config: c, model: config, maxTokens: maxBatch * maxSeqLen, products: products,
                         param: { parameters.pointer + table.info($0).offset },
                         grad: { let e = table.info($0); return e.trainable ? gradients.pointer + e.offset : nil })
        }
        for l in 0 ..< config.numHiddenLayers {
            blockParams.append(BlockTensors(layer: l) { self.paramPointer($0) })
            blockGrads.append(BlockTensors(layer: l) { self.gradPointer($0) })
        }
    }

    // MARK: - Tensor access

    func paramPointer(_ name: String) -> UnsafeMutablePointer<Float> { parameters.pointer + table.info(name).offset }

    func gradPointer(_ name: String) -> UnsafeMutablePointer<Float>? {
        let info = table.info(name)
        return info.trainable ? gradients.pointer + info.offset : nil
    }

    /// The elements of parameter `name` (traps on an unknown name; see `table[name]`).
    public func parameter(_ name: String) -> UnsafeMutableBufferPointer<Float> {
        .init(start: paramPointer(name), count: table.info(name).count)
    }

    /// The gradient of parameter `name`, or nil when it is frozen.
    public func gradient(_ name: String) -> UnsafeMutableBufferPointer<Float>? {
        gradPointer(name).map { .init(start: $0, count: table.info(name).count) }
    }

    /// Sets every gradient to zero (once per optimizer step; backward accumulates). Of the word
    /// embeddings only the rows `touchedWordRows` marks are cleared (the others are zero), which
    /// spares a pass over half of MiniLM's gradient.
    public func zeroGradients() {
        guard let word = wordGradient else { gradients.zero(); return }
        let d = config.hiddenSize, g = gradients.pointer, end = word.offset + word.rows * d
        g.update(repeating: 0, count: word.offset)
        for r in 0 ..< word.rows where touchedWordRows[r] != 0 {
            (g + word.offset + r * d).update(repeating: 0, count: d)
            touchedWordRows[r] = 0
        }
        (g + end).update(repeating: 0, count: gradients.count - end)
    }

    /// The parameters may have changed (loaded, initialised, gathered after an optimizer step):
    /// the engine's copies of every weight are rewritten from `parameters` before their next
    /// product (one conversion or reorder per weight and use; nothing to do on OpenBLAS).
    public func parametersDidChange() { products.parametersDidChange() }

    /// Bytes of activation and mask buffers held.
    public var activationBytes: Int { acts.memoryBytes + (lora?.memoryBytes ?? 0) + (maskedLM?.head.memoryBytes ?? 0) }

    // MARK: - Initialisation

    /// Hugging Face's BERT initialisation: weights and embeddings ~ N(0, initializer_range²),
    /// the pad token's word embedding 0, biases 0, LayerNorm γ = 1, β = 0. Each tensor draws
    /// from `RandomKey(seed)` keyed by a hash of its name, so the values do not depend on the
    /// buffer layout or on which tensors are frozen. LoRA adapters start as `initializeAdapters`.
    public func initializeWeights(seed: UInt64) {
        let root = RandomKey(seed: seed).with(0x696E6974)  // "init"
        let std = config.initializerRange
        for e in table.entries where !LoRAConfig.isAdapter(e.name) {
            let p = parameters.pointer + e.offset
            if e.name.hasSuffix(".bias") {
                p.update(repeating: 0, count: e.count)
            } else if e.name.contains("LayerNorm") {
                p.update(repeating: 1, count: e.count)
            } else {
                let key = root.with(Self.nameHash(e.name))
                for i in 0 ..< e.count { p[i] = std * key.normal(UInt64(i)) }
                if e.name == "embeddings.word_embeddings.weight" {
                    (p + config.padTokenId * config.hiddenSize).update(repeating: 0, count: config.hiddenSize)
                }
            }
        }
        initializeAdapters(seed: seed)
        parametersDidChange()
    }

    /// FNV-1a of the name's UTF-8 bytes: a stable per-tensor key.
    static func nameHash(_ name: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return h
    }

    // MARK: - Outputs of the last forward

    /// Terms of the last forward's loss sum: its rows, or for a masked-LM model its picked tokens.
    public var lossTerms: Int { maskedLM == nil ? (last?.batch ?? 0) : predictedTokens }

    /// A masked-LM model's picked tokens in the last forward (0 for a classifier).
    public var predictedTokens: Int { maskedLM?.head.positions.count ?? 0 }

    /// A masked-LM model's picks in the last forward whose arg-max prediction is the original token.
    public var correctPredictions: Int { maskedLM?.head.correct ?? 0 }

    /// Logits of the last forward, [batch, numLabels].
    public var logits: UnsafeBufferPointer<Float> {
        .init(start: acts.logits, count: (last?.batch ?? 0) * config.numLabels)
    }

    /// Per-sample losses of the last forward with labels, [batch].
    public var sampleLosses: UnsafeBufferPointer<Float> {
        .init(start: acts.losses, count: lastHasLabels ? (last?.batch ?? 0) : 0)
    }

    /// Softmax of row `row`'s logits of the last forward, [numLabels] (for prediction output).
    public func classProbabilities(row: Int) -> [Float] {
        let z = acts.logits + row * config.numLabels
        var m = -Float.infinity
        for c in 0 ..< config.numLabels { m = max(m, z[c]) }
        var p = (0 ..< config.numLabels).map { c in Float(exp(Double(z[c] - m))) }
        let sum = p.reduce(0, +)
        for c in p.indices { p[c] /= sum }
        return p
    }

    /// The regression model's prediction for row `row` of the last forward: its one logit.
    public func score(row: Int) -> Float {
        precondition(config.task == .regression, "a score is a regression model's output")
        return acts.logits[row]
    }

    /// Arg-max class of row `row` of the last forward.
    public func predictedClass(row: Int) -> Int {
        let z = acts.logits + row * config.numLabels
        var best = 0
        for c in 1 ..< config.numLabels where z[c] > z[best] { best = c }
        return best
    }
}
