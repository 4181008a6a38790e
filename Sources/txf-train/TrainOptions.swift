import ArgumentParser
import TxfTrain

extension ScheduleKind: ExpressibleByArgument {}

/// Files of the run.
struct FileOptions: ParsableArguments {
    @Option(help: "JSON file with any of these options; its keys are the flag names without dashes (\"global-batch\": 32). Flags override it.")
    var config: String?
    @Option(help: "Prepared training dataset (txf prepare). Required.")
    var train: String?
    @Option(help: "Prepared evaluation dataset: accuracy and loss every --eval-every steps and at the end.")
    var eval: String?
    @Option(help: "Run directory for checkpoints and metrics.jsonl. Required.")
    var out: String?
    @Option(name: .customLong("init"), help: "Model file to start from (txf import-hf output or a checkpoint); default: random weights.")
    var initFrom: String?
    @Option(help: "vocab.txt the data was prepared with; checked against the data's vocab hash.")
    var vocab: String?

    func apply(to c: inout TrainConfig) {
        if let train { c.train = train }
        if let eval { c.eval = eval }
        if let out { c.out = out }
        if let initFrom { c.initFrom = initFrom }
        if let vocab { c.vocab = vocab }
    }
}

/// Architecture of a model trained from scratch (must match --init or a resumed checkpoint).
struct ModelOptions: ParsableArguments {
    @Option(help: "Encoder blocks (from scratch: 2).") var layers: Int?
    @Option(help: "Hidden size (from scratch: 128).") var hidden: Int?
    @Option(help: "Attention heads; must divide --hidden (from scratch: 2).") var heads: Int?
    @Option(help: "Feed-forward size (from scratch: 4 × hidden).") var ffn: Int?
    @Option(help: "Longest sequence, position embeddings (from scratch: 512).") var maxLength: Int?

    func apply(to c: inout TrainConfig) {
        if let layers { c.layers = layers }
        if let hidden { c.hidden = hidden }
        if let heads { c.heads = heads }
        if let ffn { c.ffn = ffn }
        if let maxLength { c.maxLength = maxLength }
    }
}

/// Optimisation: batch, schedule, AdamW, regularisation.
struct OptimizationOptions: ParsableArguments {
    @Option(help: "Passes over the training data (default 1).") var epochs: Int?
    @Option(help: "Optimizer steps to take; the schedule ends here (overrides --epochs).") var maxSteps: Int?
    @Option(help: "Samples per optimizer step, all ranks together (default 32).") var globalBatch: Int?
    @Option(help: "Samples per rank per micro-step (default: global batch / ranks); the rest is accumulation.") var microBatch: Int?
    @Option(help: "Peak learning rate (default 5e-5).") var lr: Double?
    @Option(help: "Warmup steps (default 0).") var warmupSteps: Int?
    @Option(help: "Warmup as a fraction of all steps.") var warmupRatio: Double?
    @Option(help: "Decay after warmup (default linear).") var schedule: ScheduleKind?
    @Option(help: "AdamW weight decay, not on biases and LayerNorm (default 0.01).") var weightDecay: Double?
    @Option(help: "Clip the global gradient norm to this; 0 = off (default 1).") var maxGradNorm: Double?
    @Option(help: "Dropout probability (default 0.1).") var dropout: Double?
    @Option(help: "Seed of initialisation, data order and dropout (default 42).") var seed: UInt64?
    @Flag(inversion: .prefixedNo, help: "Batch rows of similar length together (default on).") var groupByLength: Bool?

    func apply(to c: inout TrainConfig) {
        if let epochs { c.epochs = epochs }
        if let maxSteps { c.maxSteps = maxSteps }
        if let globalBatch { c.globalBatch = globalBatch }
        if let microBatch { c.microBatch = microBatch }
        if let lr { c.lr = lr }
        if let warmupSteps { c.warmupSteps = warmupSteps }
        if let warmupRatio { c.warmupRatio = warmupRatio }
        if let schedule { c.schedule = schedule }
        if let weightDecay { c.weightDecay = weightDecay }
        if let maxGradNorm { c.maxGradNorm = maxGradNorm }
        if let dropout { c.dropout = dropout }
        if let seed { c.seed = seed }
        if let groupByLength { c.groupByLength = groupByLength }
    }
}

/// Logging, evaluation, checkpoints, resuming.
struct RunOptions: ParsableArguments {
    @Option(help: "Steps between progress lines (default 10).") var logEvery: Int?
    @Option(help: "Steps between evaluations; 0 = only at the end.") var evalEvery: Int?
    @Option(help: "Steps between checkpoints; 0 = only final.h5.") var saveEvery: Int?
    @Option(help: "Step checkpoints to keep (default 3); best.h5 and final.h5 are kept apart.") var keep: Int?
    @Option(help: "auto: continue from the newest checkpoint in --out (or start fresh); or a checkpoint path.") var resume: String?

    func apply(to c: inout TrainConfig) {
        if let logEvery { c.logEvery = logEvery }
        if let evalEvery { c.evalEvery = evalEvery }
        if let saveEvery { c.saveEvery = saveEvery }
        if let keep { c.keep = keep }
        if let resume { c.resume = resume }
    }
}
