import Foundation
import TxfCore
import TxfData
import TxfModel

/// A whole model read from a txf checkpoint or model file: architecture, every tensor, the
/// vocabulary, label names and tokenizer — what export and prediction need.
///
/// The archive's checksum is verified, and every tensor of the classifier must be present with
/// its exact shape. A LoRA checkpoint is read as its base model with the adapters folded in
/// (`Merge.merged`).
public final class StoredModel {
    public let path: String
    public let kind: ModelArchive.Kind
    public let config: ModelConfig
    /// All tensors trainable, so the layout is Hugging Face's declaration order.
    public let table: ParameterTable
    /// [table.totalCount].
    public let parameters: FloatBuffer
    public let vocab: [String]
    public let labelNames: [String]
    /// Nil when the file records no tokenizer.
    public let tokenizer: TokenizerInfo?

    public init(path: String) throws {
        self.path = path
        let archive = try ModelArchive(path: path)
        let meta = archive.meta
        kind = archive.kind
        config = meta.model
        guard config.head == .classifier else {
            throw TxfError("\(path) is a masked-LM model (txf-train --objective masked-lm): it predicts masked tokens, not labels, and has no classifier to evaluate, predict with or export; start a classifier's training from it with `txf-train --init \(path)`")
        }
        if meta.lora != nil {
            // A LoRA checkpoint: its base model (hash checked) with the adapters folded in.
            (table, parameters) = try Merge.merged(archive)
        } else {
            table = ParameterTable.bertClassifier(config)
            parameters = FloatBuffer(count: table.totalCount)
            try archive.load(table: table, parameters: parameters.pointer)
        }
        vocab = meta.vocab
        labelNames = meta.labelNames
        tokenizer = meta.tokenizer
        guard vocab.count == config.vocabSize else {
            throw TxfError("\(path) holds \(vocab.count) vocab entries but its model_config has vocab_size \(config.vocabSize)")
        }
        guard labelNames.isEmpty || labelNames.count == config.numLabels else {
            throw TxfError("\(path) holds \(labelNames.count) label names but its model_config has num_labels \(config.numLabels)")
        }
    }

    /// The elements of tensor `name`.
    public func tensor(_ name: String) -> UnsafeMutableBufferPointer<Float> {
        let info = table.info(name)
        return UnsafeMutableBufferPointer(start: parameters.pointer + info.offset, count: info.count)
    }

    /// Label names, or Hugging Face's defaults `LABEL_0`, `LABEL_1`, … when none are stored.
    public var labelNamesOrDefault: [String] {
        labelNames.isEmpty ? (0 ..< config.numLabels).map { "LABEL_\($0)" } : labelNames
    }

    /// Whether the tokenizer lowercases (uncased when not recorded, as BERT/MiniLM).
    public var lowercase: Bool { tokenizer?.lowercase ?? true }

    /// Tokens per text including [CLS] and [SEP]: the training data's max length when
    /// recorded, at most the model's max_position_embeddings.
    public var maxLength: Int {
        let positions = config.maxPositionEmbeddings
        return min(positions, tokenizer?.maxLength ?? positions)
    }
}
