import Foundation
import TxfCore
import TxfHDF5
import TxfModel

/// Reading a model to start from (`--init`): a txf checkpoint, or a model file (e.g. written by
/// `txf import-hf`) with a `model_config` attribute (Hugging Face config.json text) and
/// `/params/<name>` tensors.
public enum ModelFile {
    /// Tensors a base model may lack: the task head is new when fine-tuning starts, and so are
    /// LoRA adapters.
    static func mayBeMissing(_ name: String) -> Bool {
        name.hasPrefix("classifier.") || name.hasPrefix("pooler.") || LoRAConfig.isAdapter(name)
    }

    /// The architecture stored in `path`.
    public static func readConfig(_ path: String) throws -> ModelConfig {
        let file = try H5File.open(path)
        guard file.hasAttribute("model_config"), file.contains("params") else {
            throw TxfError("\(path) is not a txf model or checkpoint (no model_config attribute or /params group); make one with `txf import-hf` or use a checkpoint")
        }
        do {
            let text = try file.stringAttribute("model_config")
            return try JSONDecoder().decode(ModelConfig.self, from: Data(text.utf8))
        } catch {
            throw TxfError("\(path): cannot read model_config: \(Checkpoint.message(error))")
        }
    }

    /// The sha256 of the vocab.txt the model in `path` was trained or imported with
    /// (`tokenizer_vocab_sha256`), or nil when the file does not record it.
    public static func vocabSHA256(_ path: String) throws -> String? {
        let file = try H5File.open(path)
        return file.hasAttribute("tokenizer_vocab_sha256") ? try file.stringAttribute("tokenizer_vocab_sha256") : nil
    }

    /// Loads every tensor of `table` that `path` holds into `parameters`; returns the names left
    /// as initialised (only the pooler, classifier and LoRA adapters may be absent). Shapes must match.
    @discardableResult
    public static func loadParameters(_ path: String, table: ParameterTable,
                                      into parameters: UnsafeMutablePointer<Float>) throws -> [String] {
        let missing = try loadTensors(path, table.entries, into: parameters)
        if let name = missing.first(where: { !mayBeMissing($0) }) { throw TxfError("\(path): no tensor /params/\(name)") }
        return missing
    }

    /// Reads each of `entries` that `path`'s `/params` group holds into `parameters` (at the
    /// entry's offset); returns the names it lacks. Shapes must match. A LoRA checkpoint, which
    /// holds only adapters and the head, is refused with what to do instead.
    public static func loadTensors(_ path: String, _ entries: [ParameterInfo],
                                   into parameters: UnsafeMutablePointer<Float>) throws -> [String] {
        let file = try H5File.open(path)
        if file.hasAttribute("lora_config") {
            throw TxfError("\(path) is a LoRA checkpoint (adapters and head only); fold it into its base with `txf merge --model \(path) --output merged.h5` and use that")
        }
        let group = try file.openGroup("params")
        defer { group.close() }
        var missing: [String] = []
        for e in entries {
            guard group.contains(e.name) else { missing.append(e.name); continue }
            let dataset = try group.openDataset(e.name)
            defer { dataset.close() }
            guard dataset.shape == e.shape else {
                throw TxfError("\(path): /params/\(e.name) has shape \(dataset.shape), the model expects \(e.shape)")
            }
            try dataset.checkElementType(Float.self)
            try dataset.read(into: UnsafeMutableBufferPointer(start: parameters + e.offset, count: e.count))
        }
        return missing
    }
}
