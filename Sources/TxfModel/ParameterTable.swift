/// One named tensor of the model: where it lives in the flat parameter buffer, and whether it
/// is trained and decayed.
public struct ParameterInfo: Equatable, Sendable {
    /// Hugging Face BERT name, e.g. `encoder.layer.0.attention.self.query.weight`.
    public let name: String
    /// Shape, weights as [out, in] like Hugging Face / PyTorch.
    public let shape: [Int]
    /// Element count (product of `shape`).
    public let count: Int
    /// First element in the parameter buffer. For a trainable tensor this is also its offset in
    /// the gradient and optimizer-moment buffers (see `ParameterTable`).
    public let offset: Int
    /// Whether the tensor receives gradients and optimizer updates.
    public let trainable: Bool
    /// Whether AdamW applies decoupled weight decay (false for biases and LayerNorm).
    public let decays: Bool

    /// Elements `offset ..< offset + count`.
    public var range: Range<Int> { offset ..< offset + count }
}

/// Ordered table of every model tensor → offset in one flat `Float` buffer.
///
/// Layout: trainable tensors first, in declaration order, then frozen ones. So the trainable
/// parameters are exactly `0 ..< trainableCount` of the parameter buffer, and the gradient and
/// AdamW buffers (each `trainableCount` long) use the same offsets: the gradient exchange
/// (reduce-scatter, all-gather), clipping and the optimizer work on ranges of
/// `0 ..< trainableCount`, and frozen tensors get no gradient or optimizer storage. When every tensor is trainable the layout is plain declaration order.
public struct ParameterTable: Equatable, Sendable {
    /// Tensors in buffer order (trainable first).
    public let entries: [ParameterInfo]
    /// Total elements of the parameter buffer.
    public let totalCount: Int
    /// Elements of the trainable prefix = size of gradient / optimizer buffers.
    public let trainableCount: Int
    private let indexByName: [String: Int]

    /// Description of one tensor before layout.
    public struct Spec: Equatable, Sendable {
        public var name: String
        public var shape: [Int]
        public var trainable: Bool
        public var decays: Bool
        public init(name: String, shape: [Int], trainable: Bool = true, decays: Bool? = nil) {
            self.name = name
            self.shape = shape
            self.trainable = trainable
            self.decays = decays ?? ParameterTable.decaysByDefault(name)
        }
    }

    /// Lays out `specs` (trainable first, each group in the given order). Names must be unique,
    /// and the sizes must fit in `Int`: configs from flags and files are checked before they get
    /// here (`ModelConfig.validate`, `ModelConfig.checkFits`), so a failure is a bug.
    public init(_ specs: [Spec]) {
        var entries: [ParameterInfo] = []
        var offset = 0, trainableEnd = 0
        for group in [true, false] {
            for s in specs where s.trainable == group {
                guard let n = CheckedArithmetic.product(s.shape), let end = CheckedArithmetic.sum(offset, n) else {
                    preconditionFailure("parameter \(s.name) of shape \(s.shape) at offset \(offset) overflows Int; validate the config first")
                }
                entries.append(ParameterInfo(
                    name: s.name, shape: s.shape, count: n, offset: offset, trainable: s.trainable, decays: s.decays))
                offset = end
            }
            if group { trainableEnd = offset }
        }
        self.entries = entries
        trainableCount = trainableEnd
        totalCount = offset
        var index: [String: Int] = [:]
        for (i, e) in entries.enumerated() {
            precondition(index[e.name] == nil, "duplicate parameter name \(e.name)")
            index[e.name] = i
        }
        indexByName = index
    }

    /// Hugging Face's convention (and AdamW's usual one): no decay on biases and LayerNorm.
    public static func decaysByDefault(_ name: String) -> Bool {
        !(name.hasSuffix(".bias") || name.contains("LayerNorm"))
    }

    /// The tensor named `name`, or nil.
    public subscript(name: String) -> ParameterInfo? {
        indexByName[name].map { entries[$0] }
    }

    /// Position of `name` in `entries`, or nil.
    public func index(of name: String) -> Int? { indexByName[name] }

    /// The tensor named `name`; traps when absent (model code asking for its own tensors).
    public func info(_ name: String) -> ParameterInfo {
        guard let i = indexByName[name] else { preconditionFailure("no parameter named \(name)") }
        return entries[i]
    }

    /// Every tensor of a BERT classifier (or, with `config.head` masked-LM, of a BERT masked
    /// language model) for `config`, in Hugging Face's state-dict order and naming (without the
    /// `bert.` prefix of `BertForSequenceClassification` and `BertForMaskedLM`).
    /// `trainable(name)` chooses which tensors are trained (default: all). With `lora`, its
    /// adapter tensors follow the base tensors and only `lora.isTrainable` tensors (that
    /// `trainable` also allows) are trained.
    public static func bertClassifier(
        _ config: ModelConfig, lora: LoRAConfig? = nil, trainable: (String) -> Bool = { _ in true }
    ) -> ParameterTable {
        let d = config.hiddenSize, f = config.intermediateSize
        var specs: [Spec] = []
        func add(_ name: String, _ shape: [Int]) {
            specs.append(Spec(name: name, shape: shape, trainable: trainable(name) && (lora?.isTrainable(name) ?? true)))
        }
        add("embeddings.word_embeddings.weight", [config.vocabSize, d])
        add("embeddings.position_embeddings.weight", [config.maxPositionEmbeddings, d])
        add("embeddings.token_type_embeddings.weight", [config.typeVocabSize, d])
        add("embeddings.LayerNorm.weight", [d])
        add("embeddings.LayerNorm.bias", [d])
        for l in 0 ..< config.numHiddenLayers {
            let p = "encoder.layer.\(l)."
            for proj in ["query", "key", "value"] {
                add(p + "attention.self.\(proj).weight", [d, d])
                add(p + "attention.self.\(proj).bias", [d])
            }
            add(p + "attention.output.dense.weight", [d, d])
            add(p + "attention.output.dense.bias", [d])
            add(p + "attention.output.LayerNorm.weight", [d])
            add(p + "attention.output.LayerNorm.bias", [d])
            add(p + "intermediate.dense.weight", [f, d])
            add(p + "intermediate.dense.bias", [f])
            add(p + "output.dense.weight", [d, f])
            add(p + "output.dense.bias", [d])
            add(p + "output.LayerNorm.weight", [d])
            add(p + "output.LayerNorm.bias", [d])
        }
        switch config.head {
        case .classifier:
            add("pooler.dense.weight", [d, d])
            add("pooler.dense.bias", [d])
            add("classifier.weight", [config.numLabels, d])
            add("classifier.bias", [config.numLabels])
        case .maskedLM:
            // The decoder's weight is the word-embedding table (tied, as in BERT).
            add(MaskedLMHead.transformWeight, [d, d])
            add(MaskedLMHead.transformBias, [d])
            add(MaskedLMHead.transformGamma, [d])
            add(MaskedLMHead.transformBeta, [d])
            add(MaskedLMHead.outputBias, [config.vocabSize])
        }
        for spec in lora?.adapterSpecs(config) ?? [] { add(spec.name, spec.shape) }
        return ParameterTable(specs)
    }
}
