import TxfCore
import TxfModel

/// Which model a run trains: the flags' architecture, checked against a checkpoint or base model
/// when there is one.
public enum Architecture {
    /// From-scratch defaults for fields the flags leave out.
    public static let defaultLayers = 2
    public static let defaultHidden = 128
    public static let defaultHeads = 2
    public static let defaultMaxLength = 512
    public static let defaultPooling = Pooling.cls

    /// The model config for a run.
    ///
    /// With `base` (a resumed checkpoint or `--init` model), its architecture is kept and every
    /// architecture flag given must equal it; a difference is refused naming the flag, the
    /// Hugging Face field and `baseSource`. Without, the flags (or the defaults above; `ffn`
    /// defaults to 4 · hidden) build a new model. The vocabulary size and label count must
    /// match the data; dropout is the run's `--dropout`, a training setting.
    /// - Parameters:
    ///   - vocabSize: entries of the run's vocabulary.
    ///   - numLabels: classes of the training data (1 for regression data).
    ///   - padTokenId: the data's [PAD] id (its word embedding starts at zero).
    ///   - task: the training data's; a base of the other task is refused naming both files.
    ///
    /// The head is the objective's (`TrainConfig.objective`): a base with the other head gives
    /// its encoder (a masked-LM checkpoint starts a classifier, a classifier's encoder can be
    /// pre-trained further), and the head's fields (task, labels, pooling) are the run's.
    public static func resolve(_ config: TrainConfig, base: ModelConfig?, baseSource: String,
                               vocabSize: Int, numLabels: Int, padTokenId: Int,
                               task: ModelTask = .classification) throws -> ModelConfig {
        var model: ModelConfig
        let head = config.objective.head
        if let base, base.head != head {
            try checkArchitecture(config, base: base, baseSource: baseSource, vocabSize: vocabSize)
            model = base
            model.head = head
            model.task = head == .maskedLM ? .classification : task
            model.numLabels = head == .maskedLM ? base.numLabels : numLabels
            model.pooling = head == .maskedLM ? .cls : config.pooling ?? defaultPooling
        } else if let base, head == .maskedLM {
            try checkArchitecture(config, base: base, baseSource: baseSource, vocabSize: vocabSize)
            model = base
        } else if let base {
            if base.task != task {
                let data = config.train ?? "--train"
                throw TxfError(task == .regression
                    ? "\(data) is regression data (real-valued targets) but \(baseSource) is a classifier with num_labels = \(base.numLabels); start from a regression model (`txf import-hf --task regression`) or from scratch"
                    : "\(data) is classification data but \(baseSource) is a regression model (one output); start from a classifier (`txf import-hf`) or from scratch")
            }
            try checkArchitecture(config, base: base, baseSource: baseSource, vocabSize: vocabSize)
            if let pooling = config.pooling, pooling != base.pooling {
                throw TxfError("\(baseSource) has classifier_pooling = \(base.pooling.rawValue) but --pooling is \(pooling.rawValue); drop the flag or start a new run")
            }
            if base.numLabels != numLabels {
                throw TxfError("\(baseSource) has num_labels = \(base.numLabels) but the training data has \(numLabels) classes")
            }
            model = base
        } else {
            let hidden = config.hidden ?? defaultHidden
            model = ModelConfig(vocabSize: vocabSize, hiddenSize: hidden,
                                numHiddenLayers: config.layers ?? defaultLayers,
                                numAttentionHeads: config.heads ?? defaultHeads,
                                intermediateSize: config.ffn ?? 4 * hidden,
                                maxPositionEmbeddings: config.maxLength ?? defaultMaxLength,
                                numLabels: numLabels, task: head == .maskedLM ? .classification : task,
                                pooling: head == .maskedLM ? .cls : config.pooling ?? defaultPooling, head: head)
            model.padTokenId = padTokenId
        }
        model.hiddenDropoutProb = Float(config.dropout)
        model.attentionProbsDropoutProb = Float(config.dropout)
        // The parameters alone, before `validate` bounds them, so that the message names the flag.
        try checkFits(model, config, fromBase: base != nil, baseSource: baseSource, maxBatch: 1, maxSeqLen: 1, lora: nil,
                      ranksOnHost: 1)
        try model.validate()
        return model
    }

    /// Refuses an architecture flag that differs from `base` (naming the flag, the Hugging Face
    /// field and `baseSource`), and a vocabulary of another size.
    static func checkArchitecture(_ config: TrainConfig, base: ModelConfig, baseSource: String, vocabSize: Int) throws {
        let checks: [(flag: String, field: String, given: Int?, stored: Int)] = [
            ("layers", "num_hidden_layers", config.layers, base.numHiddenLayers),
            ("hidden", "hidden_size", config.hidden, base.hiddenSize),
            ("heads", "num_attention_heads", config.heads, base.numAttentionHeads),
            ("ffn", "intermediate_size", config.ffn, base.intermediateSize),
            ("max-length", "max_position_embeddings", config.maxLength, base.maxPositionEmbeddings),
        ]
        for check in checks {
            if let given = check.given, given != check.stored {
                throw TxfError("\(baseSource) has \(check.field) = \(check.stored) but --\(check.flag) is \(given); drop the flag or start a new run")
            }
        }
        if base.vocabSize != vocabSize {
            throw TxfError("\(baseSource) has vocab_size = \(base.vocabSize) but the vocabulary has \(vocabSize) entries; use the vocab the model was trained with")
        }
    }

    /// Refuses a run whose memory estimate (`ModelConfig.checkFits`: parameters, gradients,
    /// AdamW moments, activations for `maxBatch` rows of `maxSeqLen` tokens) exceeds this
    /// machine, before anything is allocated; the message names the flag at fault (`--layers`),
    /// or the field of `baseSource` when the architecture comes from a file.
    public static func checkFits(_ model: ModelConfig, _ config: TrainConfig, fromBase: Bool, baseSource: String,
                                 maxBatch: Int, maxSeqLen: Int, lora: LoRAConfig?, ranksOnHost: Int) throws {
        try model.checkFits(maxBatch: maxBatch, maxSeqLen: maxSeqLen, lora: lora, workload: .training,
                            ranksOnHost: ranksOnHost) { factor in
            let flag: String? = switch factor {
            case .numHiddenLayers: "--layers"
            case .hiddenSize: "--hidden"
            case .numAttentionHeads: "--heads"
            case .intermediateSize: "--ffn"
            case .maxPositionEmbeddings: "--max-length"
            default: nil
            }
            if let flag { return fromBase ? "\(factor.rawValue) of \(baseSource)" : flag }
            switch factor {
            case .vocabSize: return "vocab_size (the vocabulary of \(config.train ?? "--train"))"
            case .numLabels: return "num_labels (the classes of \(config.train ?? "--train"))"
            case .batch: return "the micro-batch (--micro-batch, or --global-batch / ranks)"
            case .sequenceLength: return "the longest row of the data"
            case .loraRank: return "--lora-rank"
            default: return fromBase ? "\(factor.rawValue) of \(baseSource)" : nil
            }
        }
    }

    /// `config` with its architecture fields set from `model` (the config a run prints and stores).
    public static func resolvedConfig(_ config: TrainConfig, model: ModelConfig) -> TrainConfig {
        var c = config
        c.layers = model.numHiddenLayers
        c.hidden = model.hiddenSize
        c.heads = model.numAttentionHeads
        c.ffn = model.intermediateSize
        c.maxLength = model.maxPositionEmbeddings
        return c
    }
}
