import Foundation
import TxfCore

/// Architecture of a BERT-style encoder classifier, read from and written as Hugging Face's
/// `config.json` keys so that BERT/MiniLM checkpoints configure the model directly.
///
/// Keys HF always writes are required; the rest fall back to the defaults documented on each
/// field. `num_labels` is txf's addition (HF derives it from `id2label`, which is used when
/// `num_labels` is absent).
public struct ModelConfig: Codable, Equatable, Sendable {
    /// Token vocabulary size V (`vocab_size`).
    public var vocabSize: Int
    /// Model width D (`hidden_size`).
    public var hiddenSize: Int
    /// Number of encoder blocks N (`num_hidden_layers`).
    public var numHiddenLayers: Int
    /// Attention heads H; D must be divisible by H (`num_attention_heads`).
    public var numAttentionHeads: Int
    /// FFN inner width F (`intermediate_size`).
    public var intermediateSize: Int
    /// Longest sequence the position table covers, P (`max_position_embeddings`; default 512).
    public var maxPositionEmbeddings: Int
    /// Token-type (segment) vocabulary size (`type_vocab_size`; default 2).
    public var typeVocabSize: Int
    /// LayerNorm epsilon inside the square root (`layer_norm_eps`; default 1e-12).
    public var layerNormEps: Float
    /// Dropout on embeddings, attention output, FFN output and before the classifier
    /// (`hidden_dropout_prob`; default 0.1).
    public var hiddenDropoutProb: Float
    /// Dropout on attention probabilities (`attention_probs_dropout_prob`; default 0.1).
    public var attentionProbsDropoutProb: Float
    /// Standard deviation of the normal weight initialisation (`initializer_range`; default 0.02).
    public var initializerRange: Float
    /// Number of classes L of the classifier head (`num_labels`; default: size of `id2label`, else 2).
    public var numLabels: Int
    /// Id of the padding token, whose word-embedding row starts at zero (`pad_token_id`; default 0).
    public var padTokenId: Int
    /// Classification (cross-entropy over `numLabels` logits) or regression (mean squared error
    /// of the one logit; `numLabels` 1), as `problem_type` "single_label_classification" /
    /// "regression"; default (key absent) classification. Written only for regression, so a
    /// classifier's config text is what it was before regression existed.
    public var task: ModelTask
    /// What the pooler reads: the [CLS] row (BERT's) or the mean over each row's tokens
    /// (`classifier_pooling`, ModernBERT's key and values: "cls" or "mean"; default cls). Written
    /// only for mean, so a BERT config's text is what it was before pooling was a choice.
    public var pooling: Pooling
    /// What sits on the encoder: the pooler and classifier, or BERT's masked-LM head
    /// (`architectures` ["BertForMaskedLM"], Hugging Face's key; written only for that head).
    public var head: ModelHead

    /// The on-disk (Hugging Face) key of every field.
    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size"
        case hiddenSize = "hidden_size"
        case numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads"
        case intermediateSize = "intermediate_size"
        case maxPositionEmbeddings = "max_position_embeddings"
        case typeVocabSize = "type_vocab_size"
        case layerNormEps = "layer_norm_eps"
        case hiddenDropoutProb = "hidden_dropout_prob"
        case attentionProbsDropoutProb = "attention_probs_dropout_prob"
        case initializerRange = "initializer_range"
        case numLabels = "num_labels"
        case padTokenId = "pad_token_id"
        case task = "problem_type"
        case pooling = "classifier_pooling"
        case head = "architectures"
        // Read to reject what txf cannot run, and written so transformers can load the file.
        case hiddenAct = "hidden_act"
        case modelType = "model_type"
        case positionEmbeddingType = "position_embedding_type"
        case id2label
    }

    /// Memberwise initialiser; defaults are BERT's.
    public init(
        vocabSize: Int, hiddenSize: Int, numHiddenLayers: Int, numAttentionHeads: Int,
        intermediateSize: Int, maxPositionEmbeddings: Int = 512, typeVocabSize: Int = 2,
        layerNormEps: Float = 1e-12, hiddenDropoutProb: Float = 0.1,
        attentionProbsDropoutProb: Float = 0.1, initializerRange: Float = 0.02, numLabels: Int = 2,
        padTokenId: Int = 0, task: ModelTask = .classification, pooling: Pooling = .cls, head: ModelHead = .classifier
    ) {
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads
        self.intermediateSize = intermediateSize
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.typeVocabSize = typeVocabSize
        self.layerNormEps = layerNormEps
        self.hiddenDropoutProb = hiddenDropoutProb
        self.attentionProbsDropoutProb = attentionProbsDropoutProb
        self.initializerRange = initializerRange
        self.numLabels = numLabels
        self.padTokenId = padTokenId
        self.task = task
        self.pooling = pooling
        self.head = head
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        vocabSize = try c.decode(Int.self, forKey: .vocabSize)
        hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
        numHiddenLayers = try c.decode(Int.self, forKey: .numHiddenLayers)
        numAttentionHeads = try c.decode(Int.self, forKey: .numAttentionHeads)
        intermediateSize = try c.decode(Int.self, forKey: .intermediateSize)
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? 512
        typeVocabSize = try c.decodeIfPresent(Int.self, forKey: .typeVocabSize) ?? 2
        layerNormEps = try c.decodeIfPresent(Float.self, forKey: .layerNormEps) ?? 1e-12
        hiddenDropoutProb = try c.decodeIfPresent(Float.self, forKey: .hiddenDropoutProb) ?? 0.1
        attentionProbsDropoutProb = try c.decodeIfPresent(Float.self, forKey: .attentionProbsDropoutProb) ?? 0.1
        initializerRange = try c.decodeIfPresent(Float.self, forKey: .initializerRange) ?? 0.02
        if let n = try c.decodeIfPresent(Int.self, forKey: .numLabels) {
            numLabels = n
        } else if let labels = try c.decodeIfPresent([String: String].self, forKey: .id2label) {
            numLabels = labels.count
        } else {
            numLabels = 2
        }
        padTokenId = try c.decodeIfPresent(Int.self, forKey: .padTokenId) ?? 0
        task = try Self.decodeChoice(c, .task, ModelTask.allCases.map(\.problemType), ModelTask.init(problemType:)) ?? .classification
        pooling = try Self.decodeChoice(c, .pooling, Pooling.allCases.map(\.rawValue), Pooling.init(rawValue:)) ?? .cls
        let architectures = try c.decodeIfPresent([String].self, forKey: .head) ?? []
        head = architectures == [ModelHead.maskedLM.architecture] ? .maskedLM : .classifier
        if let act = try c.decodeIfPresent(String.self, forKey: .hiddenAct), act != "gelu" {
            throw TxfError("config: hidden_act \"\(act)\" is not supported (txf implements exact erf \"gelu\")")
        }
        if let kind = try c.decodeIfPresent(String.self, forKey: .positionEmbeddingType), kind != "absolute" {
            throw TxfError("config: position_embedding_type \"\(kind)\" is not supported (only \"absolute\")")
        }
    }

    /// The value of the string-valued `key` (nil when absent); a value outside `known` is refused
    /// listing them.
    private static func decodeChoice<Value>(_ c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys, _ known: [String],
                                            _ value: (String) -> Value?) throws -> Value? {
        guard let text = try c.decodeIfPresent(String.self, forKey: key) else { return nil }
        guard let chosen = value(text) else {
            throw TxfError("config: \(key.rawValue) \"\(text)\" is not supported (\(known.map { "\"\($0)\"" }.joined(separator: " or ")))")
        }
        return chosen
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(vocabSize, forKey: .vocabSize)
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(numHiddenLayers, forKey: .numHiddenLayers)
        try c.encode(numAttentionHeads, forKey: .numAttentionHeads)
        try c.encode(intermediateSize, forKey: .intermediateSize)
        try c.encode(maxPositionEmbeddings, forKey: .maxPositionEmbeddings)
        try c.encode(typeVocabSize, forKey: .typeVocabSize)
        try c.encode(layerNormEps, forKey: .layerNormEps)
        try c.encode(hiddenDropoutProb, forKey: .hiddenDropoutProb)
        try c.encode(attentionProbsDropoutProb, forKey: .attentionProbsDropoutProb)
        try c.encode(initializerRange, forKey: .initializerRange)
        try c.encode(numLabels, forKey: .numLabels)
        try c.encode(padTokenId, forKey: .padTokenId)
        if task != .classification { try c.encode(task.problemType, forKey: .task) }
        if pooling != .cls { try c.encode(pooling.rawValue, forKey: .pooling) }
        if head != .classifier { try c.encode([head.architecture], forKey: .head) }
        try c.encode("gelu", forKey: .hiddenAct)
        try c.encode("bert", forKey: .modelType)
        try c.encode("absolute", forKey: .positionEmbeddingType)
    }

    /// Reads a Hugging Face `config.json` and validates it.
    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TxfError("cannot read model config \(url.path): \(error.localizedDescription)")
        }
        do { self = try JSONDecoder().decode(ModelConfig.self, from: data) } catch let e as TxfError {
            throw TxfError("\(url.path): \(e.message)")
        } catch {
            throw TxfError("\(url.path) is not a valid model config.json: \(error)")
        }
        try validate()
    }

    /// The config as `config.json` text (sorted keys, pretty-printed).
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    /// Width of one attention head, D / H.
    public var headSize: Int { hiddenSize / numAttentionHeads }

    /// The largest value of any size field: token ids are `Int32`, and with every size at most
    /// this, no product of two sizes overflows `Int`.
    public static let largestSize = Int(Int32.max)

    /// The most parameters a config may describe, 2⁴⁰ (4 TiB of fp32): beyond any machine txf
    /// runs on, and small enough that every offset and product of the layout fits in `Int`.
    /// Whether a model fits this machine is `checkFits`'s question, asked before allocating.
    public static let largestParameterCount = Double(1 << 40)

    /// Checks each field's range and the cross-field rules; throws a one-line `TxfError`
    /// naming the field at fault. A config that passes can be laid out (`ParameterTable`)
    /// without overflow, whatever file or flag it came from.
    public func validate() throws {
        func positive(_ v: Int, _ key: CodingKeys) throws {
            if v <= 0 { throw TxfError("config: \(key.rawValue) must be positive, got \(v)") }
        }
        try positive(vocabSize, .vocabSize)
        try positive(hiddenSize, .hiddenSize)
        try positive(numHiddenLayers, .numHiddenLayers)
        try positive(numAttentionHeads, .numAttentionHeads)
        try positive(intermediateSize, .intermediateSize)
        try positive(maxPositionEmbeddings, .maxPositionEmbeddings)
        try positive(typeVocabSize, .typeVocabSize)
        try positive(numLabels, .numLabels)
        for (v, key) in [(vocabSize, CodingKeys.vocabSize), (hiddenSize, .hiddenSize), (numHiddenLayers, .numHiddenLayers),
                         (numAttentionHeads, .numAttentionHeads), (intermediateSize, .intermediateSize),
                         (maxPositionEmbeddings, .maxPositionEmbeddings), (typeVocabSize, .typeVocabSize),
                         (numLabels, .numLabels)] where v > ModelConfig.largestSize {
            throw TxfError("config: \(key.rawValue) \(v) is out of range (at most \(ModelConfig.largestSize))")
        }
        let count = parameterCount()
        if count > ModelConfig.largestParameterCount {
            throw TxfError("config: the model would have \(MemoryBound.text(count: count)) parameters (\(MemoryBound.text(bytes: 4 * count)) for parameters alone), more than txf takes (\(MemoryBound.text(count: ModelConfig.largestParameterCount))); num_hidden_layers \(numHiddenLayers), hidden_size \(hiddenSize), intermediate_size \(intermediateSize), vocab_size \(vocabSize), max_position_embeddings \(maxPositionEmbeddings)")
        }
        if task == .regression && numLabels != 1 {
            throw TxfError("config: a regression model (problem_type \"regression\") has num_labels 1, got \(numLabels)")
        }
        if head == .maskedLM && (task != .classification || pooling != .cls) {
            throw TxfError("config: a masked-LM model (architectures [\"\(ModelHead.maskedLM.architecture)\"]) has no problem_type or classifier_pooling")
        }
        if padTokenId < 0 || padTokenId >= vocabSize {
            throw TxfError("config: pad_token_id \(padTokenId) is outside the vocabulary of \(vocabSize)")
        }
        if hiddenSize % numAttentionHeads != 0 {
            throw TxfError("config: hidden_size \(hiddenSize) is not divisible by num_attention_heads \(numAttentionHeads)")
        }
        for (p, key) in [(hiddenDropoutProb, CodingKeys.hiddenDropoutProb), (attentionProbsDropoutProb, .attentionProbsDropoutProb)]
        where !(p >= 0 && p < 1) {
            throw TxfError("config: \(key.rawValue) must be in [0, 1), got \(p)")
        }
        if !(layerNormEps > 0) { throw TxfError("config: layer_norm_eps must be positive, got \(layerNormEps)") }
    }
}

/// What sits on a BERT encoder.
public enum ModelHead: String, Codable, CaseIterable, Sendable {
    /// The pooler and a classifier (or one regression output): Hugging Face's
    /// `BertForSequenceClassification`.
    case classifier
    /// BERT's masked-language-model head (`MaskedLMHead`): Hugging Face's `BertForMaskedLM`,
    /// the pre-training objective; its checkpoint starts a classifier's training (`--init`).
    case maskedLM = "masked-lm"

    /// What the names of the head's tensors start with (`ParameterTable`): a model file starts
    /// another head's training without them.
    public var tensorPrefixes: [String] {
        switch self {
        case .classifier: ["pooler.", "classifier."]
        case .maskedLM: ["cls."]
        }
    }

    /// Hugging Face's model class, as config.json's `architectures` names it.
    public var architecture: String {
        switch self {
        case .classifier: "BertForSequenceClassification"
        case .maskedLM: "BertForMaskedLM"
        }
    }
}
