import Foundation
import TxfCore
import TxfHDF5
import TxfModel

/// A whole model read from a txf checkpoint or model file: architecture, every tensor, the
/// vocabulary, label names and tokenizer attributes — what export and prediction need.
///
/// A checkpoint (`txf_kind` "checkpoint") is read through `CheckpointFile`, which verifies its
/// checksum; a model file (`txf_kind` "model", `ModelFile.write`) is checked against its own
/// `checksum`. Every tensor of the classifier must be present with its exact shape. A LoRA
/// checkpoint is read as its base model with the adapters folded in (`Merge.merged`).
public final class StoredModel {
    public let path: String
    /// `txf_kind` of the file.
    public let kind: String
    public let config: ModelConfig
    /// All tensors trainable, so the layout is Hugging Face's declaration order.
    public let table: ParameterTable
    /// [table.totalCount].
    public let parameters: FloatBuffer
    public let vocab: [String]
    public let labelNames: [String]
    public let tokenizer: [String: String]

    public init(path: String) throws {
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else { throw TxfError("\(path): no such file") }
        let file: H5File
        do { file = try H5File.open(path) } catch {
            throw TxfError("cannot open \(path): \(Checkpoint.message(error))")
        }
        kind = (try? file.stringAttribute("txf_kind")) ?? "(none)"
        switch kind {
        case Checkpoint.kind:
            try file.close()
            let checkpoint = try CheckpointFile(path: path)
            let meta = checkpoint.meta
            config = meta.model
            if meta.lora != nil {
                // A LoRA checkpoint: its base model (hash checked) with the adapters folded in.
                let merged = try Merge.merged(checkpoint)
                table = merged.0
                parameters = merged.1
            } else {
                table = ParameterTable.bertClassifier(config)
                parameters = FloatBuffer(count: table.totalCount)
                let m = FloatBuffer(count: table.trainableCount), v = FloatBuffer(count: table.trainableCount)
                try checkpoint.load(table: table, parameters: parameters.pointer, m: m.pointer, v: v.pointer)
            }
            vocab = meta.vocab
            labelNames = meta.labelNames
            tokenizer = meta.tokenizer
        case ModelFile.kind:
            defer { try? file.close() }
            do {
                let version = try file.int64Attribute("txf_schema_version")
                guard version == ModelFile.schemaVersion else {
                    throw TxfError("schema version \(version); this txf reads version \(ModelFile.schemaVersion) (import it again)")
                }
                config = try JSONDecoder().decode(ModelConfig.self, from: Data(try file.stringAttribute("model_config").utf8))
                try config.validate()
                vocab = try file.readStringDataset("vocab")
                labelNames = try file.stringArrayAttribute("label_names")
                var tokenizer: [String: String] = [:]
                for name in file.attributeNames() where name.hasPrefix("tokenizer_") {
                    tokenizer[String(name.dropFirst("tokenizer_".count))] = try file.stringAttribute(name)
                }
                self.tokenizer = tokenizer
            } catch {
                throw TxfError("model file \(path) is corrupt or incomplete: \(Checkpoint.message(error))")
            }
            table = ParameterTable.bertClassifier(config)
            parameters = FloatBuffer(count: table.totalCount)
            let missing = try ModelFile.loadParameters(path, table: table, into: parameters.pointer)
            if let name = missing.first { throw TxfError("\(path): no tensor /params/\(name)") }
            var sum = Checksum64()
            sum.update(parameters.pointer, count: table.totalCount)
            let stored = (try? file.stringAttribute("checksum")) ?? "(none)"
            guard stored == sum.finalizeHex() else {
                throw TxfError("model file \(path) is corrupt: checksum \(sum.finalizeHex()) does not match the stored \(stored)")
            }
        default:
            try? file.close()
            throw TxfError("\(path) is not a txf checkpoint or model file (txf_kind is \(kind)); make one with `txf import-hf` or `txf-train`")
        }
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

    /// Whether the tokenizer lowercases (stored attribute "1"/"0"; uncased when absent, as BERT/MiniLM).
    public var lowercase: Bool { tokenizer["lowercase"].map { $0 == "1" || $0 == "true" } ?? true }
}
