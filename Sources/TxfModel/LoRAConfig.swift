import TxfCore

/// A dense layer of each encoder block that LoRA can adapt.
///
/// Raw values are the names `--lora-targets` takes (PEFT's module-name suffixes).
public enum LoRATarget: String, Codable, CaseIterable, Sendable {
    case query, key, value
    /// The attention output projection, `attention.output.dense`.
    case attentionOutput = "attention.output"
    /// The first FFN layer, `intermediate.dense` ([F, D]).
    case intermediate
    /// The second FFN layer, `output.dense` ([D, F]).
    case output

    /// Position in `allCases`; numbers the adapter's dropout site.
    var index: Int { LoRATarget.allCases.firstIndex(of: self)! }

    /// Name of the adapted weight in block `layer`, e.g. `encoder.layer.0.attention.self.query.weight`.
    public func weightName(layer: Int) -> String {
        let p = "encoder.layer.\(layer)."
        switch self {
        case .query, .key, .value: return p + "attention.self.\(rawValue).weight"
        case .attentionOutput: return p + "attention.output.dense.weight"
        case .intermediate: return p + "intermediate.dense.weight"
        case .output: return p + "output.dense.weight"
        }
    }

    /// PEFT-style adapter names next to the weight: `….query.lora_A.weight` [r, in] and
    /// `….query.lora_B.weight` [out, r].
    public func adapterNames(layer: Int) -> (a: String, b: String) {
        let stem = String(weightName(layer: layer).dropLast(".weight".count))
        return (stem + ".lora_A.weight", stem + ".lora_B.weight")
    }

    /// (out, in) of the adapted weight.
    public func shape(_ config: ModelConfig) -> (out: Int, in: Int) {
        switch self {
        case .query, .key, .value, .attentionOutput: return (config.hiddenSize, config.hiddenSize)
        case .intermediate: return (config.intermediateSize, config.hiddenSize)
        case .output: return (config.hiddenSize, config.intermediateSize)
        }
    }

    /// Parses "query,value" (the `--lora-targets` syntax); unknown names are an error listing the known ones.
    public static func parseList(_ text: String) throws -> [LoRATarget] {
        var targets: [LoRATarget] = []
        for part in text.split(separator: ",") {
            let name = part.trimmingCharacters(in: .whitespaces)
            guard let target = LoRATarget(rawValue: name) else {
                throw TxfError("unknown LoRA target \"\(name)\" (known: \(allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            if !targets.contains(target) { targets.append(target) }
        }
        guard !targets.isEmpty else { throw TxfError("--lora-targets names no layer (known: \(allCases.map(\.rawValue).joined(separator: ", ")))") }
        return targets
    }
}

/// Low-rank adaptation of a frozen encoder (Hu et al. 2021, as Hugging Face PEFT builds it).
///
/// For each targeted weight W [out, in] of every block, trainable A [r, in] and B [out, r]:
///
///     y = x·Wᵀ + b + (alpha / r) · dropout(x)·Aᵀ·Bᵀ
///
/// B starts at zero, so the adapted model starts as the base model; A starts like PEFT's
/// default (`kaiming_uniform_(a=√5)`, i.e. U(−1/√in, 1/√in)). Everything but the adapters,
/// the classifier and (by `trainPooler`) the pooler is frozen. Stored in checkpoints as JSON
/// with these keys.
public struct LoRAConfig: Codable, Equatable, Sendable {
    /// r, the inner width of the update.
    public var rank: Int
    /// alpha; the update is scaled by alpha / r.
    public var alpha: Double
    /// Dropout probability on the adapter's input (its own masks, not the encoder's).
    public var dropout: Double
    /// Adapted layers of every block, in `LoRATarget.allCases` order.
    public var targets: [LoRATarget]
    /// Whether the pooler is trained too (the classifier always is).
    public var trainPooler: Bool

    enum CodingKeys: String, CodingKey {
        case rank, alpha, dropout, targets, trainPooler = "train_pooler"
    }

    public init(rank: Int = 8, alpha: Double = 16, dropout: Double = 0.1,
                targets: [LoRATarget] = [.query, .value], trainPooler: Bool = false) {
        self.rank = rank
        self.alpha = alpha
        self.dropout = dropout
        self.targets = LoRATarget.allCases.filter(targets.contains)
        self.trainPooler = trainPooler
    }

    /// alpha / r.
    public var scale: Float { Float(alpha / Double(rank)) }

    /// Throws a one-line error naming the flag at fault.
    public func validate() throws {
        if rank < 1 { throw TxfError("--lora-rank must be at least 1 (got \(rank))") }
        if !(alpha > 0 && alpha.isFinite) { throw TxfError("--lora-alpha must be positive (got \(alpha))") }
        if !(dropout >= 0 && dropout < 1) { throw TxfError("--lora-dropout must be in [0, 1) (got \(dropout))") }
        if targets.isEmpty { throw TxfError("--lora-targets names no layer") }
    }

    /// `validate()`, and a rank no larger than the narrowest side of an adapted weight of
    /// `model` (a larger one adds parameters without adding rank).
    public func validate(for model: ModelConfig) throws {
        try validate()
        let narrowest = targets.map { t in let (out, inF) = t.shape(model); return min(out, inF) }.min() ?? rank
        if rank > narrowest {
            throw TxfError("--lora-rank \(rank) is larger than the adapted weights' smallest side, \(narrowest) (hidden_size \(model.hiddenSize), intermediate_size \(model.intermediateSize))")
        }
    }

    /// Whether `name` is a LoRA adapter tensor.
    public static func isAdapter(_ name: String) -> Bool {
        name.hasSuffix(".lora_A.weight") || name.hasSuffix(".lora_B.weight")
    }

    /// Which tensors train: the adapters, the classifier, and the pooler when `trainPooler`.
    public func isTrainable(_ name: String) -> Bool {
        LoRAConfig.isAdapter(name) || name.hasPrefix("classifier.") || (trainPooler && name.hasPrefix("pooler."))
    }

    /// The adapter tensors for `model`, block by block, targets in `targets` order: A then B.
    public func adapterSpecs(_ model: ModelConfig) -> [ParameterTable.Spec] {
        var specs: [ParameterTable.Spec] = []
        for layer in 0 ..< model.numHiddenLayers {
            for target in targets {
                let (a, b) = target.adapterNames(layer: layer)
                let (out, inFeatures) = target.shape(model)
                specs.append(.init(name: a, shape: [rank, inFeatures]))
                specs.append(.init(name: b, shape: [out, rank]))
            }
        }
        return specs
    }

    /// Dropout site of the adapter on `target` in block `layer`: a range of its own ("LoRA" in the
    /// high bits), disjoint from the encoder's sites (`DropoutSite`, small numbers).
    public static func dropoutSite(layer: Int, target: LoRATarget) -> UInt64 {
        0x4C6F_5241_0000_0000 | UInt64(layer) << 8 | UInt64(target.index)
    }
}
