import Foundation
import TxfCore
import TxfModel
import TxfText

/// What `txf-train --mode` trains.
public enum TrainingMode: String, Codable, CaseIterable, Sendable {
    /// Every tensor (full fine-tuning, or training from scratch).
    case full
    /// LoRA adapters and the classifier (and the pooler with `train-pooler`); the rest frozen.
    case lora
}

extension TrainConfig {
    /// The LoRA configuration of a `mode` lora run (defaults r 8, alpha 16, dropout 0.1,
    /// targets query,value, pooler frozen), or nil for `mode` full. LoRA options given with
    /// `mode` full are refused rather than ignored.
    public func loraConfig() throws -> LoRAConfig? {
        guard mode == .lora else {
            let given = [("lora-rank", loraRank != nil), ("lora-alpha", loraAlpha != nil), ("lora-dropout", loraDropout != nil),
                         ("lora-targets", loraTargets != nil), ("train-pooler", trainPooler != nil)]
            if let flag = given.first(where: \.1)?.0 { throw TxfError("--\(flag) applies only with --mode lora") }
            return nil
        }
        let d = LoRAConfig()
        let config = LoRAConfig(rank: loraRank ?? d.rank, alpha: loraAlpha ?? d.alpha, dropout: loraDropout ?? d.dropout,
                                targets: try loraTargets.map(LoRATarget.parseList) ?? d.targets,
                                trainPooler: trainPooler ?? d.trainPooler)
        try config.validate()
        return config
    }
}

/// What a LoRA checkpoint records besides its tensors: the adapter configuration and the base
/// model file it adapts (absolute path and SHA-256 of its bytes). Stored as root attributes
/// `lora_config` (JSON), `base_model_path` and `base_model_sha256`.
public struct LoRACheckpointInfo: Sendable, Equatable {
    public var config: LoRAConfig
    public var basePath: String
    public var baseSHA256: String

    public init(config: LoRAConfig, basePath: String, baseSHA256: String) {
        self.config = config
        self.basePath = basePath
        self.baseSHA256 = baseSHA256
    }

    /// The info for adapting the model file at `path` (made absolute; its bytes hashed).
    public static func describing(base path: String, config: LoRAConfig) throws -> LoRACheckpointInfo {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        guard FileManager.default.fileExists(atPath: absolute) else { throw TxfError("base model \(path): no such file") }
        let hash: String
        do { hash = try SHA256.hex(ofFile: absolute) } catch { throw TxfError("cannot hash base model \(path): \(error)") }
        return LoRACheckpointInfo(config: config, basePath: absolute, baseSHA256: hash)
    }
}

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
        let missing = try ModelFile.loadTensors(path, frozen, into: parameters)
        if let name = missing.first { throw TxfError("base model \(path) has no tensor /params/\(name), which the LoRA model keeps frozen") }
        return path
    }
}

extension Trainer {
    /// The LoRA side of a run: nil for `mode` full; for a fresh LoRA run the `--init` file
    /// (hashed); when resuming, the checkpoint's record (its base path replaced by `--init` when
    /// given; the hash is checked when the base is read). A resumed checkpoint must have been
    /// trained in the same mode with the same LoRA options (the message names the option).
    static func loraSetup(_ config: TrainConfig, checkpoint: CheckpointFile?) throws -> LoRACheckpointInfo? {
        let wanted = try config.loraConfig()
        if let checkpoint {
            switch (checkpoint.meta.lora, wanted) {
            case (nil, nil):
                return nil
            case (nil, _?):
                throw TxfError("checkpoint \(checkpoint.path) is from full training but --mode is lora; resume it with --mode full")
            case (_?, nil):
                throw TxfError("checkpoint \(checkpoint.path) is a LoRA checkpoint but --mode is full; resume it with --mode lora and its LoRA options")
            case let (stored?, wanted?):
                let s = stored.config
                let checks: [(String, String, String)] = [
                    ("lora-rank", "\(s.rank)", "\(wanted.rank)"), ("lora-alpha", "\(s.alpha)", "\(wanted.alpha)"),
                    ("lora-dropout", "\(s.dropout)", "\(wanted.dropout)"),
                    ("lora-targets", s.targets.map(\.rawValue).joined(separator: ","), wanted.targets.map(\.rawValue).joined(separator: ",")),
                    ("train-pooler", "\(s.trainPooler)", "\(wanted.trainPooler)"),
                ]
                if let (flag, stored, given) = checks.first(where: { $0.1 != $0.2 }) {
                    throw TxfError("checkpoint \(checkpoint.path) has \(flag) = \(stored) but --\(flag) is \(given); drop the flag or start a new run")
                }
                var info = stored
                if let base = config.initFrom { info.basePath = URL(fileURLWithPath: base).standardizedFileURL.path }
                return info
            }
        }
        guard let wanted else { return nil }
        guard let base = config.initFrom else {
            throw TxfError("--mode lora needs --init: the base model to adapt (e.g. from `txf import-hf`)")
        }
        return try LoRACheckpointInfo.describing(base: base, config: wanted)
    }

    /// One line for the run summary.
    static func loraSummary(_ info: LoRACheckpointInfo) -> String {
        let c = info.config
        return "LoRA: rank \(c.rank), alpha \(c.alpha) (scale \(c.scale)), dropout \(c.dropout), targets \(c.targets.map(\.rawValue).joined(separator: ",")), pooler \(c.trainPooler ? "trained" : "frozen"); base \(info.basePath) (sha256 \(info.baseSHA256.prefix(12))…)"
    }
}
