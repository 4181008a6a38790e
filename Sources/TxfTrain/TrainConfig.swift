import Foundation
import TxfCore
import TxfData
import TxfEval
import TxfMatmul
import TxfModel

/// How the learning rate decays after warmup.
public enum ScheduleKind: String, Codable, CaseIterable, Sendable {
    /// From the peak down to zero at the last step, in a straight line.
    case linear
    /// Half a cosine period from the peak down to zero at the last step.
    case cosine
    /// The peak rate until the end.
    case constant
}

/// Everything a training run is told: the `txf-train` flags, or a JSON `--config` file.
///
/// Each field is one setting of `TrainSetting.all`, which holds its key (the flag name without
/// dashes, and the JSON key: `"global-batch": 32`, `"init": "base.h5"`), its help and the
/// default the help shows. An unknown key is an error, so a typo never passes silently; flags
/// override the file (the executable applies them over a decoded file). Fields with a value
/// start at their default here; optional fields are nil when not given, and their defaults
/// are applied where they are used (`Architecture`, `loraConfig()`, the batch layout).
public struct TrainConfig: Codable, Equatable, Sendable {
    // MARK: - Files

    /// Prepared training dataset (HDF5 written by `txf prepare`). Required.
    public var train: String?
    /// Prepared evaluation dataset; without it no evaluation runs.
    public var eval: String?
    /// Run directory: checkpoints and `metrics.jsonl`. Required.
    public var out: String?
    /// Model file to start from (a checkpoint or an imported base model); nil = random init.
    public var initFrom: String?
    /// vocab.txt the datasets were prepared with; checked against their vocab sha256 and stored
    /// in every checkpoint. Required unless `initFrom` or a resumed checkpoint carries a vocab.
    public var vocab: String?

    /// What the run learns: the data's labels or targets, or BERT's masked tokens of its text.
    public var objective: TrainingObjective = .supervised

    // MARK: - Architecture (from scratch; must match `init` / a resumed checkpoint when given)

    /// Encoder blocks; nil = `Architecture.defaultLayers` from scratch.
    public var layers: Int?
    /// Hidden size; nil = `Architecture.defaultHidden` from scratch.
    public var hidden: Int?
    /// Attention heads, dividing `hidden`; nil = `Architecture.defaultHeads` from scratch.
    public var heads: Int?
    /// Feed-forward inner size; nil = 4 · hidden from scratch.
    public var ffn: Int?
    /// Position embeddings, the longest sequence the model takes; nil =
    /// `Architecture.defaultMaxLength` from scratch.
    public var maxLength: Int?
    /// What the classifier reads of the last hidden states; nil = [CLS] from scratch.
    public var pooling: Pooling?

    // MARK: - Fine-tuning (see `LoRAConfig`; the LoRA fields are only for `mode` lora)

    /// full: train every tensor; lora: freeze the `init` model and train LoRA adapters and the
    /// classifier.
    public var mode: TrainingMode = .full
    /// LoRA rank r; nil = `LoRAConfig`'s.
    public var loraRank: Int?
    /// LoRA alpha, updates scaled by alpha / r; nil = `LoRAConfig`'s.
    public var loraAlpha: Double?
    /// Dropout on the adapters' inputs; nil = `LoRAConfig`'s.
    public var loraDropout: Double?
    /// Comma-separated adapted layers (`LoRATarget` names); nil = `LoRAConfig`'s.
    public var loraTargets: String?
    /// Train the pooler too in LoRA mode (the classifier always trains); nil = `LoRAConfig`'s.
    public var trainPooler: Bool?

    // MARK: - Optimisation

    /// Passes over the training data, fractional allowed (0.5, 2.5); ignored when `maxSteps`
    /// is given. Steps: `totalSteps(stepsPerEpoch:)`.
    public var epochs: Double = 1
    /// Optimizer steps to take; the schedule ends at this step. Nil = epochs · steps per epoch.
    public var maxSteps: Int?
    /// Samples per optimizer step, all ranks together.
    public var globalBatch: Int = 32
    /// Samples per rank per micro-step; nil = globalBatch / ranks (no accumulation).
    public var microBatch: Int?
    /// Peak learning rate.
    public var lr: Double = 5e-5
    /// Warmup length in optimizer steps (exclusive with `warmupRatio`); nil and no ratio = 0.
    public var warmupSteps: Int?
    /// Warmup length as a fraction of all steps, rounded up (exclusive with `warmupSteps`).
    public var warmupRatio: Double?
    /// Decay after warmup.
    public var schedule: ScheduleKind = .linear
    /// AdamW decoupled weight decay, not applied to biases and LayerNorm weights.
    public var weightDecay: Double = 0.01
    /// Global gradient-norm clipping threshold; 0 turns clipping off.
    public var maxGradNorm: Double = 1.0
    /// Dropout probability in the encoder and before the classifier.
    public var dropout: Double = 0.1
    /// Seed of initialisation, data order and dropout masks.
    public var seed: UInt64 = 42
    /// Batch rows of similar length together (less padding).
    public var groupByLength: Bool = true
    /// With `groupByLength`, global batches per length-sorted mega-batch (`EpochPlan`).
    public var lengthGroupBatches: Int = EpochPlan.defaultLengthGroupBatches
    /// The matrix products' precision (`Precision`): bf16 where the CPU has bf16 units (auto).
    public var precision: Precision = .auto

    // MARK: - Reporting and checkpoints

    /// Optimizer steps between progress lines and train events.
    public var logEvery: Int = 10
    /// How rank 0 shows progress (`ProgressStyle`).
    public var progress: ProgressStyle = .auto
    /// Optimizer steps between evaluations; nil or 0 = only at the end.
    public var evalEvery: Int?
    /// The evaluation metric that chooses `best.h5` and drives early stopping (loss: lower is
    /// better, the others higher).
    public var metricForBest: EvalMetric = .accuracy
    /// Evaluations without an improvement of `metricForBest` after which training stops (and
    /// writes `final.h5`); 0 = never stop early.
    public var earlyStoppingPatience: Int = 0
    /// Optimizer steps between checkpoints; nil = `TrainConfig.defaultSaveEvery`, 0 = only
    /// `final.h5` at the end.
    public var saveEvery: Int?
    /// Step checkpoints kept, newest first; `best.h5` and `final.h5` are apart.
    public var keep: Int = 3
    /// "auto" (newest complete checkpoint in `out`, else start fresh) or a checkpoint path.
    public var resume: String?
    /// Resume even when the schedule settings differ from the checkpoint's (`Trainer.checkSchedule`).
    public var allowScheduleChange: Bool?

    // MARK: - Ranks

    /// Seconds a collective may wait for the other ranks (scaled by phase, `StallWatch`);
    /// nil = `StallWatch.defaultTimeout`, 0 = wait forever.
    public var stallTimeout: Double?
    /// Sum the gradient over ranks while the last backward computes the layers below (the
    /// same sums, bit for bit); off sums it after backward, for measurement and debugging.
    public var overlapReduction: Bool = true

    public init() {}

    /// Reads the keys of `TrainSetting.all`; an unknown key is an error listing the known ones.
    public init(from decoder: Decoder) throws {
        self.init()
        let settings = TrainSetting.all
        let c = try decoder.container(keyedBy: SettingKey.self)
        let known = Set(settings.map(\.key))
        if let unknown = c.allKeys.first(where: { !known.contains($0.stringValue) }) {
            throw TxfError(TrainConfig.unknownKeyMessage(unknown.stringValue))
        }
        for setting in settings { try setting.decode(c, &self) }
    }

    /// The error for a config key no setting has, listing the known ones.
    static func unknownKeyMessage(_ key: String) -> String {
        "unknown config key \"\(key)\" (known keys: \(TrainSetting.all.map(\.key).joined(separator: ", ")))"
    }

    /// Writes every setting that has a value, under its key.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: SettingKey.self)
        for setting in TrainSetting.all { try setting.encode(self, &c) }
    }

    // MARK: - Files and text

    /// The config as one JSON object with sorted keys (printed at start, stored in checkpoints,
    /// hashed for the ranks' agreement).
    public func json(pretty: Bool = false) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
                                          : [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain values into JSON cannot fail.
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    // MARK: - Rules

    /// Samples per rank per micro-step: as given, or G / W (no accumulation).
    public func resolvedMicroBatch(worldSize: Int) -> Int {
        microBatch ?? max(1, globalBatch / max(1, worldSize))
    }

    /// Optimizer steps of the run: `maxSteps`, else ⌈epochs × stepsPerEpoch⌉ (whole epochs give
    /// exactly epochs × stepsPerEpoch, a fraction the step that finishes it: 0.5 of 7 steps is 4).
    /// A product within 1e-9 of a whole number is that number, so 1.1 × 100 is 110 although the
    /// double 1.1 × 100 is 110.00000000000001. Nil when the count does not fit an Int.
    public func totalSteps(stepsPerEpoch: Int) -> Int? {
        if let maxSteps { return maxSteps }
        let exact = epochs * Double(stepsPerEpoch)
        let nearest = exact.rounded()
        let steps = abs(exact - nearest) <= 1e-9 * max(1, exact) ? nearest : exact.rounded(.up)
        guard steps.isFinite && steps < 0x1p62 else { return nil }
        return Int(steps)
    }

    /// The split of each global batch over `worldSize` ranks.
    public func layout(worldSize: Int) throws -> BatchLayout {
        try validate(worldSize: worldSize)
        return try BatchLayout(globalBatch: globalBatch, worldSize: worldSize,
                               microBatch: resolvedMicroBatch(worldSize: worldSize))
    }

    /// Rejects impossible combinations; `worldSize` is the number of ranks of this run.
    /// Each error is one line naming the keys involved.
    public func validate(worldSize: Int) throws {
        if train == nil { throw TxfError("missing --train (the prepared training dataset)") }
        if out == nil { throw TxfError("missing --out (the run directory)") }
        if globalBatch < 1 { throw TxfError("--global-batch must be at least 1 (got \(globalBatch))") }
        if objective == .maskedLM && mode == .lora {
            throw TxfError("--objective masked-lm trains every tensor; LoRA adapts a classifier (drop --mode lora)")
        }
        if objective == .maskedLM, let pooling, pooling != .cls {
            throw TxfError("--pooling \(pooling.rawValue) is a classifier's; a masked-LM model predicts every picked token (drop --pooling)")
        }
        if lengthGroupBatches < 1 { throw TxfError("--length-group-batches must be at least 1 (got \(lengthGroupBatches))") }
        if let m = microBatch, m < 1 { throw TxfError("--micro-batch must be at least 1 (got \(m))") }
        let micro = resolvedMicroBatch(worldSize: worldSize)
        guard CheckedArithmetic.product([worldSize, micro]) != nil else {
            throw TxfError("--micro-batch \(micro) is out of range: ranks × --micro-batch overflows (\(worldSize) × \(micro))")
        }
        if globalBatch % (worldSize * micro) != 0 {
            throw TxfError("--global-batch \(globalBatch) is not divisible by ranks × --micro-batch = \(worldSize) × \(micro) = \(worldSize * micro)")
        }
        if warmupSteps != nil && warmupRatio != nil { throw TxfError("give --warmup-steps or --warmup-ratio, not both") }
        if let w = warmupSteps, w < 0 { throw TxfError("--warmup-steps must be ≥ 0 (got \(w))") }
        if let r = warmupRatio, !(r >= 0 && r < 1) { throw TxfError("--warmup-ratio must be in [0, 1) (got \(r))") }
        if maxSteps == nil && !(epochs > 0 && epochs.isFinite) {
            throw TxfError("--epochs must be a number above 0, such as 1, 0.5 or 2.5 (got \(epochs.shown))")
        }
        if let s = maxSteps, s < 1 { throw TxfError("--max-steps must be at least 1 (got \(s))") }
        if let w = warmupSteps, let s = maxSteps, w >= s {
            throw TxfError("--warmup-steps \(w) must be shorter than training (--max-steps \(s))")
        }
        if !(lr > 0 && lr.isFinite) { throw TxfError("--lr must be a positive number (got \(lr))") }
        if !(weightDecay >= 0) { throw TxfError("--weight-decay must be ≥ 0 (got \(weightDecay))") }
        if !(maxGradNorm >= 0) { throw TxfError("--max-grad-norm must be ≥ 0 (got \(maxGradNorm); 0 turns clipping off)") }
        if !(dropout >= 0 && dropout < 1) { throw TxfError("--dropout must be in [0, 1) (got \(dropout))") }
        if logEvery < 1 { throw TxfError("--log-every must be at least 1 (got \(logEvery))") }
        if let e = evalEvery, e < 0 { throw TxfError("--eval-every must be ≥ 0 (got \(e))") }
        if let e = saveEvery, e < 0 { throw TxfError("--save-every must be ≥ 0 (got \(e))") }
        if earlyStoppingPatience < 0 {
            throw TxfError("--early-stopping-patience must be ≥ 0 (got \(earlyStoppingPatience); 0 turns it off)")
        }
        if earlyStoppingPatience > 0 && (eval == nil || (evalEvery ?? 0) == 0) {
            throw TxfError("--early-stopping-patience \(earlyStoppingPatience) counts evaluations: give --eval and --eval-every too")
        }
        if keep < 1 { throw TxfError("--keep must be at least 1 (got \(keep))") }
        for (name, value) in [("layers", layers), ("hidden", hidden), ("heads", heads), ("ffn", ffn), ("max-length", maxLength),
                              ("lora-rank", loraRank)] {
            if let v = value, v < 1 { throw TxfError("--\(name) must be at least 1 (got \(v))") }
            if let v = value, v > ModelConfig.largestSize {
                throw TxfError("--\(name) \(v) is out of range (at most \(ModelConfig.largestSize))")
            }
        }
        if let h = hidden, h > ModelConfig.largestSize / 4, ffn == nil {
            throw TxfError("--hidden \(h) is out of range without --ffn (the default 4 × hidden exceeds \(ModelConfig.largestSize))")
        }
        if let h = hidden, let n = heads, h % n != 0 {
            throw TxfError("--hidden \(h) is not divisible by --heads \(n)")
        }
        if let r = resume, r.isEmpty { throw TxfError("--resume takes \"auto\" or a checkpoint path") }
        if let t = stallTimeout, !(t >= 0 && t.isFinite) {
            throw TxfError("--stall-timeout must be a number of seconds ≥ 0 (got \(t); 0 waits forever)")
        }
        _ = try loraConfig()
    }

    /// Warmup steps for a run of `totalSteps`: the steps given, or ⌈ratio · total⌉, or 0.
    public func warmup(totalSteps: Int) -> Int {
        if let w = warmupSteps { return w }
        if let r = warmupRatio { return Int((r * Double(totalSteps)).rounded(.up)) }
        return 0
    }
}
