import Foundation
import TxfCore
import TxfModel
import TxfText

/// Loading the frozen part of a LoRA model from its base model file.
public enum LoRABase {
    /// Checks that the base file (`override`, else the recorded path) has the recorded SHA-256,
    /// then reads every frozen tensor of `table` from its `/params` group into `parameters`.
    /// `checkpoint` names the LoRA checkpoint in messages. Returns the base path used.
    @discardableResult
    public static func load(_ info: LoRACheckpointInfo, checkpoint: String, override: String? = nil,
                            table: ParameterTable, into parameters: UnsafeMutablePointer<Float>) throws -> String {
        let path = override ?? info.basePath
        guard FileManager.default.fileExists(atPath: path) else {
            throw TxfError("LoRA checkpoint \(checkpoint) adapts base model \(path), which does not exist; restore it (sha256 \(info.baseSHA256.prefix(12))…)")
        }
        let actual: String
        do { actual = try SHA256.hex(ofFile: path) } catch { throw TxfError("cannot hash base model \(path): \(error)") }
        guard actual == info.baseSHA256 else {
            throw TxfError("LoRA checkpoint \(checkpoint) was trained on a base model with sha256 \(info.baseSHA256.prefix(12))…, but \(path) has sha256 \(actual.prefix(12))…; use the original base model file")
        }
        let frozen = table.entries.filter { !$0.trainable }
        let missing = try ModelArchive(path: path).loadTensors(frozen, into: parameters)
        if let name = missing.first { throw TxfError("base model \(path) has no tensor /params/\(name), which the LoRA model keeps frozen") }
        return path
    }
}
