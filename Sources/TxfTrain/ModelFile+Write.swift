import Foundation
import TxfCore
import TxfHDF5
import TxfModel

/// What a model file records besides its tensors (see `ModelFile.write`).
public struct ModelFileMeta: Sendable, Equatable {
    /// Architecture, stored as Hugging Face config.json text.
    public var model: ModelConfig
    /// vocab.txt lines, in id order.
    public var vocab: [String]
    /// Class names, index = label id.
    public var labelNames: [String]
    /// Tokenizer attributes, the same keys a checkpoint copies from its training data (`kind`,
    /// `lowercase` "1"/"0", `vocab_sha256`, `vocab_size`, `pad_id`, `unk_id`, `cls_id`, `sep_id`,
    /// `max_length`), stored as `tokenizer_<key>` string attributes.
    public var tokenizer: [String: String]
    /// Provenance, stored as string attributes under these names (e.g. `source_path`,
    /// `source_sha256`, `classifier_seed`).
    public var provenance: [String: String]

    public init(model: ModelConfig, vocab: [String], labelNames: [String], tokenizer: [String: String],
                provenance: [String: String] = [:]) {
        self.model = model
        self.vocab = vocab
        self.labelNames = labelNames
        self.tokenizer = tokenizer
        self.provenance = provenance
    }
}

extension ModelFile {
    /// `txf_kind` of a model file: weights to start from or predict with, no optimizer state.
    public static let kind = "model"
    public static let schemaVersion = 1

    /// Writes a model file atomically: what `txf import-hf` produces and `--init` reads.
    ///
    /// Layout (a checkpoint without the training state): `/params/<name>` float32 for every
    /// tensor of `table` (Hugging Face names without `bert.`, weights [out, in]); `/vocab`
    /// (strings, one per id); root attributes `txf_kind` = "model", `txf_schema_version` = 1,
    /// `model_config` (config.json text), `label_names`, `tokenizer_*`, the provenance
    /// attributes, and `checksum` = `Checksum64` over the tensors in table order (what
    /// `StoredModel` verifies). Written to `<path>.tmp`, fsynced, then renamed (`Checkpoint.writeAtomically`).
    /// - Parameter parameters: [table.totalCount] in the table's layout.
    public static func write(to path: String, table: ParameterTable, parameters: UnsafePointer<Float>,
                             meta: ModelFileMeta) throws {
        let reserved: Set = ["txf_kind", "txf_schema_version", "model_config", "label_names", "checksum"]
        for key in meta.provenance.keys where reserved.contains(key) || key.hasPrefix("tokenizer_") {
            throw TxfError("model file: provenance attribute \(key) collides with a reserved name")
        }
        try Checkpoint.writeAtomically(path, what: "model file") { file in
            var sum = Checksum64()
            try Checkpoint.writeTensors(file, group: "params", table.entries, base: parameters, &sum)
            try file.setAttribute("txf_kind", kind)
            try file.setAttribute("txf_schema_version", schemaVersion)
            try file.setAttribute("model_config", String(decoding: try meta.model.jsonData(), as: UTF8.self))
            try file.setAttribute("label_names", meta.labelNames)
            for (key, value) in meta.tokenizer.sorted(by: { $0.key < $1.key }) {
                try file.setAttribute("tokenizer_" + key, value)
            }
            for (key, value) in meta.provenance.sorted(by: { $0.key < $1.key }) {
                try file.setAttribute(key, value)
            }
            try file.setAttribute("checksum", sum.finalizeHex())
            try file.writeStringDataset("vocab", meta.vocab).close()
        }
    }
}
