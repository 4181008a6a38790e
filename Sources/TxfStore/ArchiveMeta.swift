import Foundation
import TxfCore
import TxfData
import TxfModel
import TxfText

/// Everything a model file or checkpoint records besides its tensors (names in `ArchiveSchema`).
///
/// A checkpoint is an archive with a `training` state; a model file (`txf import-hf`,
/// `txf merge`) has none and may carry `provenance` instead.
public struct ArchiveMeta: Sendable, Equatable {
    /// Architecture, stored as Hugging Face config.json text.
    public var model: ModelConfig
    /// vocab.txt lines, in id order.
    public var vocab: [String]
    /// Class names, index = label id (empty: Hugging Face's `LABEL_<i>`).
    public var labelNames: [String]
    /// The tokenizer of the training data or of the imported model; nil for a file that
    /// records none.
    public var tokenizer: TokenizerInfo?
    /// Where training stands: set exactly for checkpoints.
    public var training: TrainingState?
    /// For a LoRA checkpoint: the adapters' config and the base model they adapt. Such a
    /// checkpoint stores only the trainable tensors (adapters, head) and their moments; the
    /// rest is read from the base, whose SHA-256 must match.
    public var lora: LoRACheckpointInfo?
    /// Model files: provenance string attributes (`source_path`, `source_sha256`,
    /// `classifier_seed`, `merged_from`, …), stored under these names.
    public var provenance: [String: String]

    public init(model: ModelConfig, vocab: [String], labelNames: [String], tokenizer: TokenizerInfo?,
                training: TrainingState? = nil, lora: LoRACheckpointInfo? = nil, provenance: [String: String] = [:]) {
        self.model = model
        self.vocab = vocab
        self.labelNames = labelNames
        self.tokenizer = tokenizer
        self.training = training
        self.lora = lora
        self.provenance = provenance
    }

    /// The kind of archive this metadata describes.
    public var kind: ModelArchive.Kind { training == nil ? .model : .checkpoint }
}

/// Where a training run stands, as its checkpoint records it.
///
/// The trainer's own records — its resolved run config, learning-rate schedule and optimizer —
/// are kept as the JSON text the trainer wrote: the store does not depend on the trainer, and
/// reading a checkpoint to predict or export does not depend on the trainer's config keys.
public struct TrainingState: Sendable, Equatable {
    /// Optimizer steps done; training resumes at this (0-based) step.
    public var step: Int
    /// Epoch and step inside it of the next step to take (the data cursor).
    public var epoch: Int
    public var stepInEpoch: Int
    public var seed: UInt64
    /// Ranks of the run that wrote it (resuming on another count continues the sample order,
    /// but not bit for bit).
    public var worldSize: Int
    /// Fingerprint of the training dataset (resume refuses another dataset).
    public var datasetFingerprint: String
    /// The best evaluation so far of the run's `--metric-for-best` (nil before the first
    /// evaluation); decides `best.h5` and early stopping.
    public var best: BestEvaluation?
    /// JSON text of the run's resolved config (attribute `config`).
    public var config: String
    /// JSON text of the learning-rate schedule (attribute `schedule`).
    public var schedule: String
    /// JSON text of the optimizer's hyperparameters (attribute `optimizer`).
    public var optimizer: String

    public init(step: Int, epoch: Int, stepInEpoch: Int, seed: UInt64, worldSize: Int, datasetFingerprint: String,
                best: BestEvaluation?, config: String, schedule: String, optimizer: String) {
        self.step = step
        self.epoch = epoch
        self.stepInEpoch = stepInEpoch
        self.seed = seed
        self.worldSize = worldSize
        self.datasetFingerprint = datasetFingerprint
        self.best = best
        self.config = config
        self.schedule = schedule
        self.optimizer = optimizer
    }
}

/// The best value so far of the metric that chooses `best.h5`, as a checkpoint records it
/// (attributes `best_metric`, `best_value`, `best_step`, `evaluations_since_best`).
///
/// The metric is kept by name ("accuracy", "f1", "mcc", "loss"): the trainer owns the names.
/// A checkpoint written before these attributes holds only `best_accuracy`; it reads as the
/// accuracy with no step and no evaluations since.
public struct BestEvaluation: Sendable, Equatable {
    /// The metric's name (`--metric-for-best`).
    public var metric: String
    /// Its best value so far.
    public var value: Double
    /// The step of the evaluation that gave it; nil when an old checkpoint did not record it.
    public var step: Int?
    /// Evaluations since that one that did not improve on it (early stopping counts these).
    public var evaluationsSince: Int

    public init(metric: String, value: Double, step: Int?, evaluationsSince: Int = 0) {
        self.metric = metric
        self.value = value
        self.step = step
        self.evaluationsSince = evaluationsSince
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
