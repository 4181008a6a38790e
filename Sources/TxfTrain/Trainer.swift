import Foundation
import TxfCore
import TxfData
import TxfDist
import TxfModel
import TxfStore
import TxfText

/// A data-parallel training run: every rank builds one with the same config, then calls `run`.
///
/// Setup (this initialiser) opens the data, picks the checkpoint to resume from, resolves the
/// architecture, builds and initialises (or restores) the model, and has the ranks agree on the
/// config, the dataset fingerprint, the parameter count and the initial parameters. Local
/// failures are made collective (`Communicator.together`), so a bad input ends every rank with
/// one `CollectiveError`. The loop itself is in `Trainer+Loop.swift`.
public final class Trainer {
    public let communicator: any Communicator
    /// The run's config with its architecture filled in.
    public let config: TrainConfig
    public let model: BertClassifier
    public let layout: BatchLayout
    public let schedule: LearningRateSchedule
    public let optimizer: AdamW
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
    /// The sgemm GFLOP/s of all ranks together on this model's matrix shapes, measured when the
    /// run started: the denominator of the MFU in the progress line.
    public let sgemmPeakGflops: Double

    let train: TokenDataset
    let eval: TokenDataset?
    let directory: RunDirectory
    /// AdamW moments, [trainableCount] each, in the gradient layout.
    let m: FloatBuffer, v: FloatBuffer
    /// Sums gradients over ranks and runs this rank's shard of AdamW.
    let update: DataParallelUpdate
    let vocab: [String]
    let tokenizer: TokenizerInfo
    var bestAccuracy: Double?
    var metrics: MetricsLog?

    public init(config given: TrainConfig, communicator: any Communicator) throws {
        self.communicator = communicator
        let rank = communicator.rank, world = communicator.worldSize

        // Local checks and files; a failure on any rank fails all of them together.
        let opened = try communicator.together { () throws -> (TokenDataset, TokenDataset?, Vocabulary, String?) in
            try given.validate(worldSize: world)
            let train = try TokenDataset(path: given.train!)
            let vocabulary = try train.vocabulary()
            if let path = given.vocab {
                let own = try Vocabulary(contentsOf: path)
                try train.checkVocab(sha256: own.sha256, source: path)
            }
            let eval = try given.eval.map { try TokenDataset(path: $0) }
            if let eval {
                try eval.checkVocab(sha256: train.info.tokenizer.vocabSHA256, source: "the training data \(train.path)")
                guard eval.labelNames == train.labelNames else {
                    throw TxfError("\(eval.path) has labels \(eval.labelNames) but the training data \(train.path) has \(train.labelNames)")
                }
            }
            guard !train.labelNames.isEmpty else { throw TxfError("\(train.path) has no labels; training needs a labelled dataset") }
            // Every rank looks (so a refusal is everyone's, printed once); rank 0's choice is
            // broadcast below, so all ranks resume from the same file whatever they saw.
            return (train, eval, vocabulary, try Trainer.checkpointToResume(given))
        }
        train = opened.0
        eval = opened.1
        var resumeText = opened.3 ?? ""
        communicator.broadcast(&resumeText, root: 0)
        let resumedFrom = resumeText.isEmpty ? nil : resumeText
        self.resumedFrom = resumedFrom
        directory = RunDirectory(path: given.out!)
        let vocabulary = opened.2
        vocab = (0 ..< vocabulary.count).map { vocabulary.token(for: Int32($0)) }
        let info = opened.0.info, train = opened.0, eval = opened.1
        tokenizer = info.tokenizer

        // The model: architecture, buffers, schedule, initial or restored values.
        let fingerprint = train.fingerprint
        var loraInfo: LoRACheckpointInfo? = nil
        let built = try communicator.together { () throws -> (BertClassifier, ModelArchive?, TrainConfig, LearningRateSchedule, Int, BatchLayout) in
            let checkpoint = try resumedFrom.map { try ModelArchive(path: $0, expecting: .checkpoint) }
            if let c = checkpoint { try Trainer.checkCompatible(c, with: given, fingerprint: fingerprint, vocabSHA256: info.tokenizer.vocabSHA256) }
            loraInfo = try Trainer.loraSetup(given, checkpoint: checkpoint)
            if checkpoint == nil, let path = given.initFrom, let stored = try ModelArchive(path: path).meta.tokenizer?.vocabSHA256, stored != info.tokenizer.vocabSHA256 {
                throw TxfError("--init \(path) was made with a vocab of sha256 \(stored.prefix(12))…, but \(train.path) was tokenized with \(info.tokenizer.vocabSHA256.prefix(12))…; prepare the data with the model's vocab.txt")
            }
            let base: ModelConfig? = try checkpoint?.meta.model ?? given.initFrom.map { try ModelArchive(path: $0).meta.model }
            let source = checkpoint.map { "checkpoint \($0.path)" } ?? given.initFrom ?? ""
            let modelConfig = try Architecture.resolve(given, base: base, baseSource: source, vocabSize: vocabulary.count,
                                                       numLabels: info.labelNames.count, padTokenId: Int(info.tokenizer.padId))
            let longest = max(info.tokenizer.maxLength, eval?.info.tokenizer.maxLength ?? 0)
            guard longest <= modelConfig.maxPositionEmbeddings else {
                throw TxfError("the data has rows of \(longest) tokens but the model takes at most \(modelConfig.maxPositionEmbeddings) (--max-length / max_position_embeddings)")
            }
            let layout = try given.layout(worldSize: world)
            let stepsPerEpoch = train.rowCount / given.globalBatch
            guard stepsPerEpoch >= 1 else {
                throw TxfError("\(train.path) has \(train.rowCount) rows, fewer than one global batch of \(given.globalBatch)")
            }
            let total = given.maxSteps ?? given.epochs * stepsPerEpoch
            let warmup = given.warmup(totalSteps: total)
            guard warmup < total else { throw TxfError("warmup of \(warmup) steps is not shorter than training (\(total) steps)") }
            let schedule = LearningRateSchedule(kind: given.schedule, peak: given.lr, warmupSteps: warmup, totalSteps: total)
            let evalBatch = max(layout.microBatch, 32)
            let model = try BertClassifier(config: modelConfig, maxBatch: max(layout.microBatch, eval == nil ? 1 : evalBatch),
                                           maxSeqLen: max(1, longest), lora: loraInfo?.config)
            return (model, checkpoint, Architecture.resolvedConfig(given, model: modelConfig), schedule, stepsPerEpoch, layout)
        }
        model = built.0
        lora = loraInfo
        config = built.2
        schedule = built.3
        stepsPerEpoch = built.4
        layout = built.5
        evalBatch = max(layout.microBatch, 32)
        optimizer = AdamW(weightDecay: config.weightDecay)
        let table = model.table
        update = DataParallelUpdate(table: table, communicator: communicator)
        m = FloatBuffer(count: table.trainableCount)
        v = FloatBuffer(count: table.trainableCount)

        try communicator.agree("config", config.json())
        try communicator.agree("dataset fingerprint", fingerprint)
        try communicator.agree("parameter count", "\(table.totalCount) (\(table.trainableCount) trainable)")

        // All ranks at once, as they train, on a micro-batch of mean-length rows (~0.2 s).
        let meanLength = Double(train.lengths.reduce(0) { $0 + Int($1) }) / Double(max(1, train.rowCount))
        communicator.barrier()
        let sgemm = SgemmBenchmark.run(shapes: TrainingBenchmark.modelShapes(built.0.config, tokens: max(1, Int(meanLength * Double(built.5.microBatch)))),
                                       secondsPerShape: 0.03)
        var peak = [sgemm.peakGflops]
        communicator.allReduceSum(&peak)
        sgemmPeakGflops = peak[0]

        let checkpoint = built.1
        step = checkpoint?.meta.training?.step ?? 0
        bestAccuracy = checkpoint?.meta.training?.bestAccuracy
        let model = self.model, m = self.m, v = self.v, config = self.config, run = self.directory, step = self.step
        metrics = try communicator.together { () throws -> MetricsLog? in
            if let checkpoint {
                if let loraInfo { try LoRABase.load(loraInfo, checkpoint: checkpoint.path, table: table, into: model.parameters.pointer) }
                try checkpoint.load(table: table, parameters: model.parameters.pointer, m: m.pointer, v: v.pointer)
            } else if let path = config.initFrom {
                try ModelArchive(path: path).loadParameters(table: table, into: model.parameters.pointer)
                model.initializeAdapters(seed: config.seed)
            } else {
                model.initializeWeights(seed: config.seed)
            }
            guard rank == 0 else { return nil }
            try run.create()
            if checkpoint != nil {
                try MetricsLog.truncate(path: run.metricsPath, afterStep: step)
            } else {
                unlink(run.metricsPath)
            }
            return try MetricsLog(path: run.metricsPath)
        }
        var sum = Checksum64()
        sum.update(model.parameters.pointer, count: table.totalCount)
        try communicator.agree("initial parameters (checksum)", sum.finalizeHex())
    }

    /// The checkpoint `config.resume` names: "auto" = the newest in `--out` (nil when none),
    /// otherwise the path given. Without `--resume`, a run directory that already holds
    /// checkpoints is refused rather than overwritten.
    static func checkpointToResume(_ config: TrainConfig) throws -> String? {
        let run = RunDirectory(path: config.out!)
        switch config.resume {
        case "auto"?:
            return try run.newestCheckpoint()
        case let path?:
            guard FileManager.default.fileExists(atPath: path) else { throw TxfError("--resume \(path): no such file") }
            return path
        case nil:
            if !run.stepCheckpoints().isEmpty || FileManager.default.fileExists(atPath: run.finalPath) {
                throw TxfError("\(run.path) already holds checkpoints; pass --resume auto to continue that run, or choose another --out")
            }
            return nil
        }
    }

    /// Refuses a checkpoint from another run: other data, batch, seed or tokenizer.
    static func checkCompatible(_ c: ModelArchive, with config: TrainConfig, fingerprint: String, vocabSHA256: String) throws {
        let meta = c.meta.training!  // opened expecting a checkpoint
        if meta.datasetFingerprint != fingerprint {
            throw TxfError("checkpoint \(c.path) was trained on other data than --train \(config.train!) (dataset fingerprints differ)")
        }
        if try c.runConfig().globalBatch != config.globalBatch {
            throw TxfError("checkpoint \(c.path) has global-batch = \(try c.runConfig().globalBatch) but --global-batch is \(config.globalBatch); the data order depends on it")
        }
        if meta.seed != config.seed {
            throw TxfError("checkpoint \(c.path) has seed = \(meta.seed) but --seed is \(config.seed); the data order and dropout depend on it")
        }
        if let stored = c.meta.tokenizer?.vocabSHA256, stored != vocabSHA256 {
            throw TxfError("checkpoint \(c.path) was trained with a vocab of sha256 \(stored.prefix(12))…, the data with \(vocabSHA256.prefix(12))…")
        }
    }

    /// The metadata a checkpoint written now records.
    func checkpointMeta() throws -> ArchiveMeta {
        let cursor = DataCursor(step: step, stepsPerEpoch: stepsPerEpoch)
        let training = try TrainingState(step: step, epoch: cursor.epoch, stepInEpoch: cursor.stepInEpoch, seed: config.seed,
                                         schedule: schedule, config: config, optimizer: optimizer,
                                         worldSize: communicator.worldSize, datasetFingerprint: train.fingerprint, bestAccuracy: bestAccuracy)
        return ArchiveMeta(model: model.config, vocab: vocab, labelNames: train.labelNames, tokenizer: tokenizer,
                           training: training, lora: lora)
    }

    /// A multi-line summary for rank 0 to print once: the resolved config and the model's size.
    public var summary: String {
        let table = model.table
        var lines = ["resolved config:", config.json(pretty: true)]
        lines.append("model: \(model.config.numHiddenLayers) layers, hidden \(model.config.hiddenSize), \(model.config.numAttentionHeads) heads, ffn \(model.config.intermediateSize), vocab \(model.config.vocabSize), \(model.config.numLabels) labels; \(table.totalCount) parameters (\(table.trainableCount) trainable)")
        lines.append("data: \(train.rowCount) training rows, \(stepsPerEpoch) steps per epoch; \(communicator.worldSize) rank\(communicator.worldSize == 1 ? "" : "s") × micro-batch \(layout.microBatch) × \(layout.accumulation) accumulation = global batch \(layout.globalBatch)")
        if let lora { lines.append(Trainer.loraSummary(lora)) }
        if let eval { lines.append("eval: \(eval.rowCount) rows from \(eval.path)") }
        let ranks = communicator.worldSize == 1 ? "this rank" : "all \(communicator.worldSize) ranks at once"
        lines.append("mfu: model FLOP/s ÷ \(String(format: "%.1f", sgemmPeakGflops)) GFLOP/s, the sgemm peak of \(ranks) on this model's shapes (measured now)")
        lines.append(resumedFrom.map { "resuming from \($0) at step \(step)/\(totalSteps)" } ?? "starting at step 0/\(totalSteps)")
        if step >= totalSteps { lines.append("training is already complete; nothing to do") }
        return lines.joined(separator: "\n")
    }
}
