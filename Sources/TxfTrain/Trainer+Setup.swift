import Foundation
import TxfCore
import TxfData
import TxfMatmul
import TxfModel
import TxfStore
import TxfText

// The named steps of `Trainer.init`, in the order it takes them. Each runs on every rank inside
// `Communicator.together` (no collectives inside), so a failure on one rank ends all of them.

/// Step 1, open the data: the training and evaluation sets of this rank's host, checked against
/// each other and against `--vocab` (and, once every rank has them, against the other hosts'
/// copies: `agreeAcrossHosts`).
struct TrainingData {
    let train: TokenDataset
    let eval: TokenDataset?
    /// The training data's vocab, id order (stored in every checkpoint).
    let vocab: [String]
    /// The tokenizer settings the data was prepared with (stored in every checkpoint).
    let tokenizer: TokenizerInfo
    /// The vocabulary's [MASK] id (every vocab txf reads has one).
    let maskId: Int32

    /// The masked-LM corruption of this vocabulary (its [MASK], [CLS], [SEP] and [PAD] ids).
    func masking() -> TokenMasking {
        TokenMasking(maskId: maskId, clsId: tokenizer.clsId, sepId: tokenizer.sepId, padId: tokenizer.padId,
                     vocabSize: vocab.count)
    }

    /// Mean tokens per training row (sizes the sgemm peak measurement).
    var meanRowLength: Double { Double(train.lengths.reduce(0) { $0 + Int($1) }) / Double(max(1, train.rowCount)) }

    /// The longest row of either set.
    var longestRow: Int { max(train.info.tokenizer.maxLength, eval?.info.tokenizer.maxLength ?? 0) }

    static func open(_ config: TrainConfig, worldSize: Int) throws -> TrainingData {
        try config.validate(worldSize: worldSize)
        let train = try TokenDataset(path: config.train!)
        guard train.rowCount > 0 else { throw TxfError("--train \(train.path) has no rows; there is nothing to train on") }
        let vocabulary = try train.vocabulary()
        if let path = config.vocab {
            let own = try Vocabulary(contentsOf: path)
            try train.checkVocab(sha256: own.sha256, source: path)
        }
        let eval = try config.eval.map { try TokenDataset(path: $0) }
        let supervised = config.objective == .supervised
        if let eval {
            guard eval.rowCount > 0 else {
                throw TxfError("--eval \(eval.path) has no rows; an evaluation of no samples measures nothing (drop --eval or prepare it again)")
            }
            try eval.checkVocab(sha256: train.info.tokenizer.vocabSHA256, source: "the training data \(train.path)")
            // Masked-LM training reads the text alone: the labels need not agree.
            guard !supervised || eval.task == train.task else {
                throw TxfError("\(eval.path) is \(eval.task.rawValue) data but the training data \(train.path) is \(train.task.rawValue) data; prepare both with the same --task")
            }
            guard !supervised || eval.labelNames == train.labelNames else {
                throw TxfError("\(eval.path) has labels \(eval.labelNames) but the training data \(train.path) has \(train.labelNames)")
            }
            // A pair model reads single sentences as all segment a (and the reverse): a score of
            // another task, so the mix is refused rather than measured.
            guard eval.isPairs == train.isPairs else {
                func kind(_ d: TokenDataset) -> String { d.isPairs ? "sentence pairs" : "single sentences" }
                throw TxfError("--eval \(eval.path) holds \(kind(eval)) but the training data \(train.path) holds \(kind(train)); prepare both with --text-pair-column, or neither")
            }
        }
        guard !supervised || !train.labelNames.isEmpty || train.task == .regression else {
            throw TxfError("\(train.path) has no labels; training needs a labelled dataset (or --objective masked-lm, which reads the text alone)")
        }
        return TrainingData(train: train, eval: eval, vocab: (0 ..< vocabulary.count).map { vocabulary.token(for: Int32($0)) },
                            tokenizer: train.info.tokenizer, maskId: vocabulary.maskId)
    }
}

/// Step 2, resolve the model: the checkpoint to resume (opened from the bytes rank 0 read)
/// checked against this run, the architecture (from the checkpoint, `--init` or the flags), the
/// batch layout, the schedule, and the model built with zeroed parameters, its products on the
/// engine of the precision chosen before (`Precision.resolve`, agreed by all ranks).
struct ResolvedModel {
    let model: BertClassifier
    /// The run's config with its architecture filled in.
    let config: TrainConfig
    let layout: BatchLayout
    let schedule: LearningRateSchedule
    let stepsPerEpoch: Int
    let lora: LoRACheckpointInfo?
    /// Rows per evaluation batch.
    let evalBatch: Int

    static func resolve(_ given: TrainConfig, data: TrainingData, checkpoint: ModelArchive?, matmul: MatmulMode,
                        worldSize: Int, ranksOnHost: Int) throws -> ResolvedModel {
        let train = data.train, info = train.info, vocabSHA256 = info.tokenizer.vocabSHA256
        if let c = checkpoint { try Trainer.checkCompatible(c, with: given, fingerprint: train.fingerprint, vocabSHA256: vocabSHA256) }
        if let stored = checkpoint?.meta.model.head, stored != given.objective.head {
            throw TxfError(stored == .maskedLM
                ? "checkpoint \(checkpoint!.path) is a masked-LM run: resume it with --objective masked-lm, or start a classifier from it with --init (in a new --out)"
                : "checkpoint \(checkpoint!.path) is a classifier's run: resume it without --objective masked-lm, or pre-train from it with --init (in a new --out)")
        }
        let lora = try Trainer.loraSetup(given, checkpoint: checkpoint)
        let initial = try checkpoint == nil ? given.initFrom.map { try ModelArchive(path: $0) } : nil
        if let initial, let stored = initial.meta.tokenizer?.vocabSHA256, stored != vocabSHA256 {
            throw TxfError("--init \(initial.path) was made with a vocab of sha256 \(stored.prefix(12))…, but \(train.path) was tokenized with \(vocabSHA256.prefix(12))…; prepare the data with the model's vocab.txt")
        }
        let base: ModelConfig? = checkpoint?.meta.model ?? initial?.meta.model
        let source = checkpoint.map { "checkpoint \($0.path)" } ?? given.initFrom ?? ""
        let modelConfig = try Architecture.resolve(given, base: base, baseSource: source, vocabSize: data.vocab.count,
                                                   numLabels: max(given.objective == .maskedLM ? 1 : 0,
                                                                  info.task.outputs(classes: info.labelNames.count)),
                                                   padTokenId: Int(info.tokenizer.padId), task: info.task)
        let config = try given.checkingMetric(for: info.task)
        let modelName = source.isEmpty ? "the model of this run" : "the model of \(source)"
        for dataset in [train] + (data.eval.map { [$0] } ?? []) {
            try dataset.checkTokenIds(below: modelConfig.vocabSize, source: modelName)
        }
        guard !train.isPairs || modelConfig.typeVocabSize >= 2 else {
            throw TxfError("\(train.path) holds sentence pairs (token types 0 and 1) but \(modelName) has type_vocab_size \(modelConfig.typeVocabSize)")
        }
        guard data.longestRow <= modelConfig.maxPositionEmbeddings else {
            throw TxfError("the data has rows of \(data.longestRow) tokens but the model takes at most \(modelConfig.maxPositionEmbeddings) (--max-length / max_position_embeddings)")
        }
        let layout = try given.layout(worldSize: worldSize)
        let stepsPerEpoch = train.rowCount / given.globalBatch
        guard stepsPerEpoch >= 1 else {
            throw TxfError("\(train.path) has \(train.rowCount) rows, fewer than one global batch of \(given.globalBatch)")
        }
        guard let total = given.totalSteps(stepsPerEpoch: stepsPerEpoch) else {
            throw TxfError("--epochs \(given.epochs.shown) is out of range: \(given.epochs.shown) × \(stepsPerEpoch) steps per epoch overflows")
        }
        let warmup = given.warmup(totalSteps: total)
        guard warmup < total else { throw TxfError("warmup of \(warmup) steps is not shorter than training (\(total) steps)") }
        let schedule = LearningRateSchedule(kind: given.schedule, peak: given.lr, warmupSteps: warmup, totalSteps: total)
        if let c = checkpoint { try Trainer.checkSchedule(c, against: schedule, config: given) }
        let evalBatch = max(layout.microBatch, 32)
        let maxBatch = max(layout.microBatch, data.eval == nil ? 1 : evalBatch), maxSeqLen = max(1, data.longestRow)
        try lora?.config.validate(for: modelConfig)
        try Architecture.checkFits(modelConfig, given, fromBase: base != nil, baseSource: source, maxBatch: maxBatch,
                                   maxSeqLen: maxSeqLen, lora: lora?.config, ranksOnHost: ranksOnHost)
        let model = try BertClassifier(config: modelConfig, maxBatch: maxBatch, maxSeqLen: maxSeqLen, lora: lora?.config,
                                       matmul: matmul, masking: modelConfig.head == .maskedLM ? data.masking() : nil)
        return ResolvedModel(model: model, config: Architecture.resolvedConfig(config, model: modelConfig),
                             layout: layout, schedule: schedule, stepsPerEpoch: stepsPerEpoch, lora: lora, evalBatch: evalBatch)
    }
}

extension Trainer {
    /// Step 3, restore the state: the parameters and AdamW moments of the checkpoint (with a
    /// LoRA run's frozen base), else `--init`'s parameters with fresh adapters (and a fresh head
    /// where the file has another), else a random initialisation from the seed.
    static func restoreState(_ trainingStep: TrainingStep, checkpoint: ModelArchive?, lora: LoRACheckpointInfo?,
                             config: TrainConfig) throws {
        let model = trainingStep.model, table = model.table
        if let checkpoint {
            if let lora { try LoRABase.load(lora, checkpoint: checkpoint.path, table: table, into: model.parameters.pointer) }
            try checkpoint.load(table: table, parameters: model.parameters.pointer, m: trainingStep.m.pointer, v: trainingStep.v.pointer)
        } else if let path = config.initFrom {
            // The seed's values first, for what the file lacks (a new head, adapters), as
            // `txf import-hf` does; then every tensor the file holds.
            model.initializeWeights(seed: config.seed)
            try ModelArchive(path: path).loadParameters(table: table, into: model.parameters.pointer)
        } else {
            model.initializeWeights(seed: config.seed)
        }
        model.parametersDidChange()
    }

    /// Step 4, the run directory and `metrics.jsonl` with its TensorBoard event file (rank 0
    /// only; nil elsewhere): a resumed run keeps the lines up to its step, a new run starts afresh.
    static func openMetrics(_ run: RunDirectory, rank: Int, resumedAt step: Int?) throws -> MetricsLog? {
        guard rank == 0 else { return nil }
        try run.create()
        if let step {
            try MetricsLog.truncate(path: run.metricsPath, afterStep: step)
        } else {
            unlink(run.metricsPath)
        }
        return try MetricsLog(path: run.metricsPath, tensorBoard: TensorBoardLog(directory: run.path, resumedAt: step))
    }

    /// The checkpoint `config.resume` names: "auto" = the newest in `--out` (nil when none),
    /// otherwise the path given. Without `--resume`, a run directory that already holds
    /// checkpoints is refused rather than overwritten. Asked on rank 0 only (`fromRoot`): the
    /// checkpoints are on its disk, which other hosts need not see.
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

    /// Refuses a checkpoint from another run (other data, batch, seed or tokenizer) and one
    /// without the AdamW moments resuming needs (`best.h5`). The schedule is checked once this
    /// run's is known (`checkSchedule`).
    static func checkCompatible(_ c: ModelArchive, with config: TrainConfig, fingerprint: String, vocabSHA256: String) throws {
        let meta = c.meta.training!  // opened expecting a checkpoint
        guard c.hasMoments else { throw TxfError(ModelArchive.noMoments(c.path)) }
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
}
