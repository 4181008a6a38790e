import Foundation
import TxfCore
import TxfHDF5
import TxfModel

/// Reading a model to start from (`--init`): a txf checkpoint, or a model file (e.g. written by
/// `txf import-hf`) with a `model_config` attribute (Hugging Face config.json text) and
/// `/params/<name>` tensors.
public enum ModelFile {
    /// Tensors a base model may lack: the task head is new when fine-tuning starts.
    static func mayBeMissing(_ name: String) -> Bool {
        name.hasPrefix("classifier.") || name.hasPrefix("pooler.")
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

    /// Loads every tensor of `table` that `path` holds into `parameters`; returns the names left
    /// as initialised (only the pooler and classifier may be absent). Shapes must match.
    @discardableResult
    public static func loadParameters(_ path: String, table: ParameterTable,
                                      into parameters: UnsafeMutablePointer<Float>) throws -> [String] {
        let file = try H5File.open(path)
        let group = try file.openGroup("params")
        defer { group.close() }
        var missing: [String] = []
        for e in table.entries {
            guard group.contains(e.name) else {
                if mayBeMissing(e.name) { missing.append(e.name); continue }
                throw TxfError("\(path): no tensor /params/\(e.name)")
            }
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
