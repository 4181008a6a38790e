import TxfData

/// The on-disk names of a model archive (`ModelArchive`): a model file or a checkpoint, one
/// HDF5 file each.
///
/// | object | meaning |
/// |---|---|
/// | `/params/<name>` | float32 tensor under its Hugging Face BERT name without `bert.`, weights [out, in] |
/// | `/adam_m/<name>`, `/adam_v/<name>` | checkpoints but weights-only ones: AdamW moments of each trainable tensor |
/// | `/vocab` | uint8: vocab.txt's bytes, each token (in id order) followed by "\n" |
///
/// Root attributes of both kinds: `txf_kind` ("model" or "checkpoint"), `txf_schema_version`,
/// `model_config` (Hugging Face config.json text), `label_names`, `tokenizer_<key>` (text of
/// each `TokenizerInfo` field), `checksum`. Checkpoints add `step`, `epoch`, `step_in_epoch`,
/// `seed`, `world_size`, `schedule` / `config` / `optimizer` (the trainer's JSON),
/// `dataset_fingerprint`, once evaluated `best_metric` / `best_value` / `best_step` /
/// `evaluations_since_best` (`BestEvaluation`; files written before them hold `best_accuracy`,
/// still read) and, for LoRA runs, `lora_config`, `base_model_path`, `base_model_sha256`; a
/// checkpoint written without its moments (`best.h5`, for predicting and exporting, not for
/// resuming) has `weights_only` = 1. Model files add provenance string attributes and
/// `provenance_keys`, their names. Strings are fixed-length NUL-padded UTF-8, integers int64.
///
/// Version 2. Version 1 stored strings (and `/vocab`) variable-length, which libhdf5 crashes
/// on in damaged files; it is refused from its attribute types alone, with the converter to
/// run (docs/ARCHITECTURE.md, "File formats against hostile input").
public enum ArchiveSchema {
    public static let version: Int64 = 2

    /// Groups and datasets.
    public static let params = "params"
    public static let adamM = "adam_m"
    public static let adamV = "adam_v"
    public static let vocab = DatasetSchema.vocab

    /// Root attribute names.
    public enum Attribute {
        public static let kind = DatasetSchema.Attribute.kind
        public static let schemaVersion = "txf_schema_version"
        public static let modelConfig = "model_config"
        public static let labelNames = DatasetSchema.Attribute.labelNames
        public static let checksum = "checksum"
        /// Each `TokenizerInfo.Attribute` is stored as this prefix + its key.
        public static let tokenizerPrefix = "tokenizer_"

        public static let step = "step"
        public static let epoch = "epoch"
        public static let stepInEpoch = "step_in_epoch"
        public static let seed = "seed"
        public static let worldSize = "world_size"
        public static let schedule = "schedule"
        public static let config = "config"
        public static let optimizer = "optimizer"
        public static let datasetFingerprint = "dataset_fingerprint"
        /// Read from checkpoints written before `bestMetric`; no longer written.
        public static let bestAccuracy = "best_accuracy"
        public static let bestMetric = "best_metric"
        public static let bestValue = "best_value"
        public static let bestStep = "best_step"
        public static let evaluationsSinceBest = "evaluations_since_best"
        /// Int64 1 on a checkpoint stored without `/adam_m` and `/adam_v`; absent on full ones.
        public static let weightsOnly = "weights_only"

        public static let loraConfig = "lora_config"
        public static let baseModelPath = "base_model_path"
        public static let baseModelSHA256 = "base_model_sha256"

        /// Model files: the names of the provenance attributes (readers look them up by name).
        public static let provenanceKeys = "provenance_keys"

        /// Names a model file's provenance may not take.
        static let reservedForModels: Set = [kind, schemaVersion, modelConfig, labelNames, checksum, provenanceKeys]
    }

    /// `name` of a tokenizer field in an archive: `tokenizer_vocab_sha256`, `tokenizer_kind`, ….
    public static func tokenizerAttribute(_ field: TokenizerInfo.Attribute) -> String {
        Attribute.tokenizerPrefix + field.rawValue
    }
}
