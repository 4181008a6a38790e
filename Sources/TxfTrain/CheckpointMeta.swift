import TxfModel

/// Everything a checkpoint records besides its tensors: where training stands and what it was.
///
/// Stored as attributes of the file's root group (names below), readable with h5py:
/// `txf_kind` = "checkpoint", `txf_schema_version`, `step`, `epoch`, `step_in_epoch`, `seed`,
/// `world_size`, `schedule` / `config` / `model_config` / `optimizer` (JSON text),
/// `dataset_fingerprint`, `label_names`, `tokenizer_*` (copied from the training dataset),
/// `best_accuracy`, `checksum`. The vocabulary itself is the string dataset `/vocab`.
public struct CheckpointMeta: Sendable, Equatable {
    /// Optimizer steps done; training resumes at this (0-based) step.
    public var step: Int
    /// Epoch and step inside it of the next step to take (the data cursor).
    public var epoch: Int
    public var stepInEpoch: Int
    public var seed: UInt64
    public var schedule: LearningRateSchedule
    /// The run's resolved config (architecture filled in).
    public var config: TrainConfig
    /// Architecture, as Hugging Face's config.json keys.
    public var model: ModelConfig
    public var optimizer: AdamW
    /// Ranks of the run that wrote it (resuming on another count continues the sample order,
    /// but not bit for bit).
    public var worldSize: Int
    /// Fingerprint of the training dataset (resume refuses another dataset).
    public var datasetFingerprint: String
    /// vocab.txt lines, in id order.
    public var vocab: [String]
    /// Class names, index = label id.
    public var labelNames: [String]
    /// Tokenizer attributes of the training data (name without the `tokenizer_` prefix → text).
    public var tokenizer: [String: String]
    /// Best evaluation accuracy so far (nil before the first evaluation); decides `best.h5`.
    public var bestAccuracy: Double?
    /// For a LoRA run: the adapters' config and the base model they adapt. A LoRA checkpoint
    /// stores only the trainable tensors (adapters, head) and their moments; the rest is read
    /// from the base, whose SHA-256 must match.
    public var lora: LoRACheckpointInfo?

    public init(step: Int, epoch: Int, stepInEpoch: Int, seed: UInt64, schedule: LearningRateSchedule,
                config: TrainConfig, model: ModelConfig, optimizer: AdamW, worldSize: Int,
                datasetFingerprint: String, vocab: [String], labelNames: [String],
                tokenizer: [String: String], bestAccuracy: Double?, lora: LoRACheckpointInfo? = nil) {
        self.step = step
        self.epoch = epoch
        self.stepInEpoch = stepInEpoch
        self.seed = seed
        self.schedule = schedule
        self.config = config
        self.model = model
        self.optimizer = optimizer
        self.worldSize = worldSize
        self.datasetFingerprint = datasetFingerprint
        self.vocab = vocab
        self.labelNames = labelNames
        self.tokenizer = tokenizer
        self.bestAccuracy = bestAccuracy
        self.lora = lora
    }
}
