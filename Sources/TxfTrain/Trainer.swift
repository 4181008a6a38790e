import Foundation
import TxfCore
import TxfData
import TxfDist
import TxfMatmul
import TxfModel
import TxfStore
import TxfText

/// A data-parallel training run: every rank builds one with the same config, then calls `run`.
///
/// Setup is a chain of named steps (`Trainer+Setup.swift`): open the data, resolve the model,
/// agree across ranks, measure the sgemm peak, restore the state. Local failures are made
/// collective (`Communicator.together`), so a bad input ends every rank with one
/// `CollectiveError`. The loop is in `Trainer+Loop.swift`; each of its steps is one
/// `TrainingStep`.
public final class Trainer {
    public let communicator: any Communicator
    /// The run's config with its architecture filled in.
    public let config: TrainConfig
    public var model: BertClassifier { trainingStep.model }
    public var layout: BatchLayout { trainingStep.layout }
    public let schedule: LearningRateSchedule
    /// Optimizer steps per epoch, ⌊N / G⌋ (the epoch's tail sits out; see `EpochPlan`).
    public let stepsPerEpoch: Int
    public var totalSteps: Int { schedule.totalSteps }
    /// Optimizer steps done (the step training continues from).
    public internal(set) var step: Int
    /// The checkpoint this run resumed from, if any.
    public let resumedFrom: String?
    /// LoRA runs: the adapters' config and the base model (path, sha256); nil for full training.
    public let lora: LoRACheckpointInfo?
    /// Rows per evaluation batch.
    public let evalBatch: Int
    /// The products' precision and why (`--precision`), the same on every rank.
    public let precision: PrecisionChoice
    /// The GFLOP/s of all ranks together on this model's matrix shapes in the run's precision
    /// (sgemm, or oneDNN's bf16 matmul), measured when the run started: the denominator of the
    /// MFU in the progress line.
    public let peakGflops: Double

    /// The step the loop repeats; it owns the optimizer state.
    public let trainingStep: TrainingStep
    let data: TrainingData
    var train: TokenDataset { data.train }
    var eval: TokenDataset? { data.eval }
    let directory: RunDirectory
    /// The best evaluation so far of `config.metricForBest` (restored on resume when the
    /// checkpoint's was of the same metric); nil before the first evaluation.
    public internal(set) var best: BestEvaluation?
    /// Set when the run ended early because `metricForBest` stopped improving.
    public internal(set) var earlyStop: EarlyStop?
    var metrics: MetricsLog?
    /// Rank 0's lock on `--out`, held while this trainer lives; nil on other ranks.
    let runLock: RunLock?

    public init(config given: TrainConfig, communicator: any Communicator) throws {
        self.communicator = communicator
        // Stalls: start-up's collectives wait up to 10 × --stall-timeout (`Phase.startUp`).
        communicator.watch?.timeout = given.stallTimeout ?? StallWatch.defaultTimeout
        communicator.watch?.enter(.startUp)
        let world = communicator.worldSize
        // Before anything reads or writes --out: a second run on it is refused on every rank.
        runLock = try communicator.together {
            try communicator.rank == 0 ? given.out.map { try RunLock(directory: RunDirectory(path: $0)) } : nil
        }
        // Each rank opens its own host's copy of the data, then the copies are compared.
        let data = try communicator.together { try TrainingData.open(given, worldSize: world) }
        try data.agreeAcrossHosts(communicator)
        // Rank 0 alone looks in --out and reads the checkpoint: other hosts may not see its disk
        // (ARCHITECTURE.md, "Checkpoints and data when hosts do not share a disk"). A refusal
        // is the job's, printed once; every rank opens the bytes rank 0 read, so every check on
        // them gives every rank the same answer.
        let resumeText: String = try communicator.fromRoot { try Trainer.checkpointToResume(given) ?? "" }
        let resumedFrom = resumeText.isEmpty ? nil : resumeText
        let precision = try communicator.together { try given.precision.resolve(cpu: .current(), engine: .probe()) }
        try communicator.agree("precision", precision.resolved.rawValue)
        let checkpoint = try resumedFrom.map { path in
            let image = try communicator.fromRoot { try ModelArchive.readImage(path: path, expecting: .checkpoint) }
            return try communicator.together { try ModelArchive(image: image, path: path, expecting: .checkpoint) }
        }
        let resolved = try communicator.together {
            try ResolvedModel.resolve(given, data: data, checkpoint: checkpoint, matmul: precision.matmulMode, worldSize: world,
                                      ranksOnHost: communicator.localRankCount)
        }

        self.data = data
        self.precision = precision
        self.resumedFrom = resumedFrom
        directory = RunDirectory(path: given.out!)
        config = resolved.config
        schedule = resolved.schedule
        stepsPerEpoch = resolved.stepsPerEpoch
        lora = resolved.lora
        evalBatch = resolved.evalBatch
        trainingStep = TrainingStep(model: resolved.model, communicator: communicator, layout: resolved.layout,
                                    optimizer: AdamW(weightDecay: config.weightDecay), seed: config.seed,
                                    maxGradNorm: config.maxGradNorm, overlapReduction: config.overlapReduction)
        let table = resolved.model.table
        try communicator.agree("config", config.json())
        try communicator.agree("parameter count", "\(table.totalCount) (\(table.trainableCount) trainable)")

        // All ranks at once, as they train, on a micro-batch of mean-length rows (~0.2 s).
        peakGflops = try trainingStep.measurePeak(tokens: Int(data.meanRowLength * Double(resolved.layout.microBatch)),
                                                       secondsPerShape: 0.03).allRanksGflops

        step = checkpoint?.meta.training?.step ?? 0
        // Another --metric-for-best than the checkpoint's starts its comparison afresh.
        best = checkpoint?.meta.training?.best.flatMap { $0.metric == resolved.config.metricForBest.rawValue ? $0 : nil }
        let trainingStep = self.trainingStep, config = self.config, run = self.directory, step = self.step, lora = self.lora
        metrics = try communicator.together {
            try Trainer.restoreState(trainingStep, checkpoint: checkpoint, lora: lora, config: config)
            return try Trainer.openMetrics(run, rank: communicator.rank, resumedAt: checkpoint == nil ? nil : step)
        }
        var sum = Checksum64()
        sum.update(resolved.model.parameters.pointer, count: table.totalCount)
        try communicator.agree("initial parameters (checksum)", sum.finalizeHex(), namingHosts: true)
    }

    /// The metadata a checkpoint written now records.
    func checkpointMeta() throws -> ArchiveMeta {
        let cursor = DataCursor(step: step, stepsPerEpoch: stepsPerEpoch)
        let training = try TrainingState(step: step, epoch: cursor.epoch, stepInEpoch: cursor.stepInEpoch, seed: config.seed,
                                         schedule: schedule, config: config, optimizer: trainingStep.optimizer,
                                         worldSize: communicator.worldSize, datasetFingerprint: train.fingerprint, best: best)
        return ArchiveMeta(model: model.config, vocab: data.vocab, labelNames: train.labelNames, tokenizer: data.tokenizer,
                           training: training, lora: lora)
    }

    /// A multi-line summary for rank 0 to print once: the resolved config and the model's size.
    public var summary: String {
        let table = model.table
        var lines = [precision.startupLine, "resolved config:", config.json(pretty: true)]
        lines.append("model: \(model.config.numHiddenLayers) layers, hidden \(model.config.hiddenSize), \(model.config.numAttentionHeads) heads, ffn \(model.config.intermediateSize), vocab \(model.config.vocabSize), \(model.config.head == .maskedLM ? "masked-LM head (decoder tied to the word embeddings)" : model.config.task == .regression ? "regression (1 output)" : "\(model.config.numLabels) labels"); \(table.totalCount) parameters (\(table.trainableCount) trainable)")
        lines.append("data: \(train.rowCount) training rows, \(stepsPerEpoch) steps per epoch; \(communicator.worldSize) rank\(communicator.worldSize == 1 ? "" : "s") × micro-batch \(layout.microBatch) × \(layout.accumulation) accumulation = global batch \(layout.globalBatch)")
        if let lora { lines.append(Trainer.loraSummary(lora)) }
        if let eval { lines.append("eval: \(eval.rowCount) rows from \(eval.path)") }
        let ranks = communicator.worldSize == 1 ? "this rank" : "all \(communicator.worldSize) ranks at once"
        let engine = precision.isBF16 ? "bf16 matmul" : "sgemm"
        lines.append("mfu: model FLOP/s ÷ \(String(format: "%.1f", peakGflops)) GFLOP/s, the \(engine) peak of \(ranks) on this model's shapes (measured now)")
        lines.append(resumedFrom.map { "resuming from \($0) at step \(step)/\(totalSteps)" } ?? "starting at step 0/\(totalSteps)")
        if step >= totalSteps { lines.append("training is already complete; nothing to do") }
        if step < totalSteps, let stop = EarlyStop(best: best, config: config, step: step) {
            lines.append("\(stop.message); nothing to do")
        }
        return lines.joined(separator: "\n")
    }
}
