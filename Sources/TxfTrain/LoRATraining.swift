import Foundation
import TxfCore
import TxfModel
import TxfStore

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

extension Trainer {
    /// The LoRA side of a run: nil for `mode` full; for a fresh LoRA run the `--init` file
    /// (hashed); when resuming, the checkpoint's record (its base path replaced by `--init` when
    /// given; the hash is checked when the base is read). A resumed checkpoint must have been
    /// trained in the same mode with the same LoRA options (the message names the option).
    static func loraSetup(_ config: TrainConfig, checkpoint: ModelArchive?) throws -> LoRACheckpointInfo? {
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
