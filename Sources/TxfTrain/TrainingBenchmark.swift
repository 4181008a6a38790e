import Foundation
import TxfCore
import TxfData
import TxfDist
import TxfMatmul
import TxfModel
import TxfStore

/// `txf bench --training`: a timer around `TrainingStep`, the step `Trainer` runs, on a real or
/// synthetic length distribution, with every figure needed to judge it against the machine
/// (MFU against the sgemm peak measured in the same run on the model's own shapes).
///
/// The micro-batches of every timed step are built before timing starts (reading data is not
/// the step's work, and is done by the trainer from an open dataset), so the allocation count
/// covers the model, the optimizer and the gradient exchange only.
public enum TrainingBenchmark {
    /// What to measure.
    public struct Options: Sendable {
        /// The architecture (MiniLM's by default).
        public var model: ModelConfig = TrainingBenchmark.miniLM
        /// A txf model file or checkpoint to load weights (and the architecture) from; random
        /// weights when nil.
        public var modelPath: String?
        /// A prepared dataset whose lengths (and tokens, labels) the steps use; synthetic
        /// SST-2-like rows when nil.
        public var dataPath: String?
        /// Samples per optimizer step, all ranks together.
        public var globalBatch = 32
        /// Samples per rank per micro-step (default G / W: no accumulation).
        public var microBatch: Int?
        /// Steps timed, after `warmupSteps` untimed ones.
        public var steps = 20
        public var warmupSteps = 3
        /// Seed of weights, synthetic rows, the data order and dropout.
        public var seed: UInt64 = 1
        /// Group rows of similar length into global batches (the trainer's default).
        public var groupByLength = true
        /// Global batches per length-sorted group when grouping (`EpochPlan`).
        public var lengthGroupBatches = EpochPlan.defaultLengthGroupBatches
        /// Longest synthetic row (SST-2's longest is 66 with [CLS] and [SEP]).
        public var syntheticMaxLength = 66
        /// Seconds of sgemm timing per shape for the peak.
        public var sgemmSecondsPerShape = 0.2
        /// LoRA fine-tuning with these adapters (frozen encoder); full fine-tuning when nil.
        public var lora: LoRAConfig?
        /// The products' precision (`Precision.resolve`; auto: bf16 where the CPU has it).
        public var precision: Precision = .auto
        /// Sum the whole gradient densely instead of the word-embedding rows touched
        /// (`DataParallelUpdate`), for comparison.
        public var denseAllReduce = false
        /// Under W > 1 ranks, also time the same global batch on rank 0 alone (W = 1, the others
        /// waiting), for the scaling figure.
        public var measureScaling = false
        /// Heap allocations made by this process so far, or nil when the executable cannot
        /// count them (see `txf bench`).
        public var allocationCounter: (@Sendable () -> Int)?

        public init() {}
    }

    /// MiniLM-L6-H384 (all-MiniLM-L6-v2) shapes with a two-class head.
    public static let miniLM = ModelConfig(vocabSize: 30522, hiddenSize: 384, numHiddenLayers: 6, numAttentionHeads: 12,
                                           intermediateSize: 1536, numLabels: 2)

    /// SST-2 train's row count, for the synthetic length distribution.
    public static let syntheticRows = 67_349

    /// Synthetic row lengths like SST-2 train tokenized with BERT's vocab: 3 + ⌊Exp(mean 10.9)⌋,
    /// capped at `maxLength` — mean ≈ 13.4, median 10, p90 ≈ 28, p99 ≈ 50 (SST-2: 13.4, 10, 28, 46).
    public static func syntheticLengths(count: Int, maxLength: Int, seed: UInt64) -> [Int] {
        let key = RandomKey(seed: seed).with(0x6C656E73)  // "lens"
        return (0 ..< count).map { i in
            let u = Double(key.uniform(UInt64(i)))
            return min(maxLength, 3 + Int(-10.9 * log(1 - u)))
        }
    }

    /// Everything measured, per rank averaged over the timed steps (seconds per step).
    public struct Report: Codable, Sendable {
        public var model: String
        /// "full" or "lora r=…, alpha=…, targets …".
        public var mode: String
        public var trainableParameters: Int
        public var worldSize: Int
        public var blasThreadsPerRank: Int
        public var globalBatch: Int
        public var microBatch: Int
        public var accumulation: Int
        public var steps: Int
        public var lengths: String
        public var samplesPerSecond: Double
        /// Real (unpadded) tokens per second, all ranks.
        public var tokensPerSecond: Double
        /// Share of the computed token rows that are padding.
        public var paddingShare: Double
        public var stepSeconds: Double
        public var forwardSeconds: Double
        public var backwardSeconds: Double
        public var allReduceSeconds: Double
        public var optimizerSeconds: Double
        /// Time ranks spent waiting for the slowest rank's forward and backward (load imbalance).
        public var waitSeconds: Double
        public var allReduceShare: Double
        /// Word-embedding rows summed per step (union over ranks), or nil when dense.
        public var allReduceRows: Double?
        /// The parameter all-gather's data type ("fp32", or "bf16" in the bf16 precisions) and
        /// the megabytes of the whole gathered buffer.
        public var parameterGatherType: String
        public var parameterGatherMB: Double
        /// Megabytes of the gradient reduce-scattered densely each step (all but the word rows
        /// summed sparsely; `DataParallelUpdate.restStart`).
        public var reduceScatterMB: Double
        /// Floats per word-embedding row (the width of the sparse row sum), 0 when dense.
        public var wordRowFloats: Int
        /// Model FLOPs of one optimizer step (`ModelConfig.trainingFLOPs`, real tokens only).
        public var modelGflopPerStep: Double
        public var achievedGflops: Double
        /// Best sgemm GFLOP/s on the model's shapes, summed over ranks (measured together).
        public var sgemmPeakGflops: Double
        /// The precision the products ran in ("fp32", "bf16", "bf16-reference") and why.
        public var precision: String
        /// The bf16 matmul GFLOP/s on the same shapes, all ranks (oneDNN), when the run is bf16.
        public var bf16PeakGflops: Double?
        public var mfu: Double
        /// Model GFLOP per second of CPU time used by this process (steadier on a shared machine).
        public var gflopPerCPUSecond: Double
        public var peakRSSMB: Double
        /// Heap allocations per timed step on rank 0, or nil when not counted.
        public var allocationsPerStep: Double?
        public var sgemm: SgemmBenchmark.Report
        /// Samples/s of the same global batch on one rank (with this run's threads per rank),
        /// measured in the same run when asked; scaling = samples/s ÷ (W · that).
        public var singleRankSamplesPerSecond: Double?
        public var scalingEfficiency: Double?
        /// Under W > 1 ranks every timed step runs twice, with the gradient reduction behind
        /// backward (the figures above) and after it; nil on one rank.
        public var overlapOn: ReductionTiming?
        public var overlapOff: ReductionTiming?

        enum CodingKeys: String, CodingKey {
            case model, mode, trainableParameters = "trainable_parameters", worldSize = "world_size", blasThreadsPerRank = "blas_threads_per_rank"
            case globalBatch = "global_batch", microBatch = "micro_batch", accumulation, steps, lengths
            case samplesPerSecond = "samples_per_s", tokensPerSecond = "tokens_per_s", paddingShare = "padding_share"
            case stepSeconds = "step_s", forwardSeconds = "forward_s", backwardSeconds = "backward_s"
            case allReduceSeconds = "allreduce_s", optimizerSeconds = "optimizer_s", waitSeconds = "imbalance_wait_s", allReduceShare = "allreduce_share", allReduceRows = "allreduce_word_rows"
            case parameterGatherType = "parameter_gather_type", parameterGatherMB = "parameter_gather_mb", reduceScatterMB = "reduce_scatter_mb", wordRowFloats = "word_row_floats"
            case modelGflopPerStep = "model_gflop_per_step", achievedGflops = "achieved_gflops"
            case sgemmPeakGflops = "sgemm_peak_gflops", precision, bf16PeakGflops = "bf16_peak_gflops"
            case mfu, gflopPerCPUSecond = "gflop_per_cpu_s"
            case peakRSSMB = "peak_rss_mb", allocationsPerStep = "allocations_per_step", sgemm = "sgemm_model_shapes"
            case singleRankSamplesPerSecond = "single_rank_samples_per_s", scalingEfficiency = "scaling_efficiency"
            case overlapOn = "overlap_on", overlapOff = "overlap_off"
        }
    }

    /// One way of summing the gradient, timed on the same steps as the other.
    public struct ReductionTiming: Codable, Sendable {
        public var stepSeconds: Double
        /// From the end of backward until the gradient and the loss are summed, the wait for
        /// the slowest rank included: all of the reduction without overlap, the part backward
        /// did not hide with it (the communication share).
        public var reductionSeconds: Double
        public var reductionShare: Double

        enum CodingKeys: String, CodingKey {
            case stepSeconds = "step_s", reductionSeconds = "reduction_s", reductionShare = "reduction_share"
        }
    }

    /// Runs the benchmark on every rank of `communicator` (collectives in the same order on all).
    public static func run(_ options: Options, communicator: any Communicator) throws -> Report {
        var report = try measure(options, communicator: communicator)
        guard options.measureScaling, communicator.worldSize > 1 else { return report }
        // W = 1 at the same global batch: rank 0 alone, after the W-rank figures (and peak RSS)
        // are taken; the other ranks wait.
        var alone = [0.0]
        if communicator.rank == 0 {
            var single = options
            single.measureScaling = false
            alone[0] = try measure(single, communicator: SingleProcessCommunicator()).samplesPerSecond
        }
        communicator.allReduceSum(&alone)
        report.singleRankSamplesPerSecond = alone[0]
        report.scalingEfficiency = report.samplesPerSecond / (Double(communicator.worldSize) * alone[0])
        return report
    }

    /// One measurement (see `run`).
    static func measure(_ options: Options, communicator: any Communicator) throws -> Report {
        let world = communicator.worldSize, rank = communicator.rank
        let g = options.globalBatch
        let micro = options.microBatch ?? max(1, g / world)
        let layout = try BatchLayout(globalBatch: g, worldSize: world, microBatch: micro)

        // Rows: lengths (and tokens) of every row of the data or of the synthetic set.
        var config = options.model
        if let path = options.modelPath { config = try ModelArchive(path: path).meta.model }
        let dataset = try options.dataPath.map { try TokenDataset(path: $0) }
        let lengths = dataset.map { $0.lengths.map(Int.init) }
            ?? syntheticLengths(count: syntheticRows, maxLength: options.syntheticMaxLength, seed: options.seed)
        if let dataset, options.modelPath == nil {
            config.vocabSize = dataset.info.tokenizer.vocabSize
            config.numLabels = max(2, dataset.labelNames.count)
        }
        let total = options.warmupSteps + options.steps
        let steps = try plannedSteps(lengths: lengths, dataset: dataset, layout: layout, rank: rank, count: total,
                                     config: config, options: options)
        let longest = steps.joined().map(\.seqLen).max() ?? 1

        let precision = try options.precision.resolve(cpu: .current(), engine: .probe())
        try options.lora?.validate(for: config)
        try config.checkFits(maxBatch: micro, maxSeqLen: longest, lora: options.lora, workload: .training,
                             ranksOnHost: communicator.localRankCount) { factor in
            switch factor {
            case .batch: "the micro-batch (--micro-batch, or --global-batch / ranks)"
            case .sequenceLength: "the longest row"
            case .loraRank: "--lora-rank"
            default: "\(factor.rawValue) of \(options.modelPath ?? options.dataPath ?? "the MiniLM shapes")"
            }
        }
        let model = try BertClassifier(config: config, maxBatch: micro, maxSeqLen: longest, lora: options.lora,
                                       matmul: precision.matmulMode)
        if let path = options.modelPath {
            try ModelArchive(path: path).loadParameters(table: model.table, into: model.parameters.pointer)
        } else {
            model.initializeWeights(seed: options.seed)
        }
        if options.lora != nil { model.initializeAdapters(seed: options.seed) }
        model.parametersDidChange()
        let trainingStep = TrainingStep(model: model, communicator: communicator, layout: layout,
                                        optimizer: AdamW(weightDecay: 0.01), seed: options.seed, maxGradNorm: 1,
                                        denseWordEmbeddings: options.denseAllReduce)

        // The peaks on this model's shapes, all ranks at once (as they train): sgemm always, the
        // bf16 matmul too in a bf16 run; the MFU is against the precision's own.
        let tokensPerMicro = steps.dropFirst(options.warmupSteps).flatMap(\.self).map { $0.batchSize * $0.seqLen }
        let typicalTokens = max(1, tokensPerMicro.reduce(0, +) / max(1, tokensPerMicro.count))
        let (sgemm, sgemmPeak) = try trainingStep.measurePeak(on: .openBLAS, tokens: typicalTokens,
                                                              secondsPerShape: options.sgemmSecondsPerShape)
        let bf16Peak = precision.isBF16
            ? try trainingStep.measurePeak(tokens: typicalTokens, secondsPerShape: options.sgemmSecondsPerShape).allRanksGflops
            : nil
        let peak = bf16Peak ?? sgemmPeak

        // Steps: warm-up, then timed, the trainer's step with its phases timed. On W > 1 ranks
        // each timed step runs with the reduction behind backward, then again after it, on the
        // same micro-batches, so the two are compared under the same load.
        let modes = world > 1 ? [true, false] : [true]
        var phases = modes.map { _ in StepPhases() }, walls = modes.map { _ in 0.0 }
        trainingStep.phases = StepPhases()
        var flops = 0.0, realTokens = 0.0, rowsReduced = 0.0, rowsCounted = true
        var allocationsBefore = 0, cpuBefore = 0.0
        for (i, micro) in steps.enumerated() {
            if i == options.warmupSteps {
                communicator.barrier()
                allocationsBefore = options.allocationCounter?() ?? 0
                cpuBefore = processCPUSeconds()
            }
            guard i >= options.warmupSteps else {
                _ = try trainingStep.run(micro, step: i, learningRate: 2e-5)
                continue
            }
            for (m, overlaps) in modes.enumerated() {
                trainingStep.overlapsReduction = overlaps
                trainingStep.phases = phases[m]
                let start = monotonicSeconds()
                let outcome = try trainingStep.run(micro, step: i, learningRate: 2e-5)
                walls[m] += monotonicSeconds() - start
                phases[m] = trainingStep.phases!
                guard m == 0 else { continue }
                flops += outcome.modelFLOPs
                realTokens += outcome.realTokens
                if let rows = outcome.wordRowsSummed { rowsReduced += Double(rows) } else { rowsCounted = false }
            }
        }
        trainingStep.overlapsReduction = true
        let cpu = (processCPUSeconds() - cpuBefore) / Double(modes.count)
        let allocations = options.allocationCounter.map { Double($0() - allocationsBefore) / Double(options.steps * modes.count) }

        // Averages over ranks; throughput from rank 0's wall clock (the sums keep ranks in step).
        let n = Double(options.steps), w = Double(world)
        var sums = [phases[0].forward, phases[0].backward, phases[0].reduction + phases[0].communication,
                    phases[0].optimizer, phases[0].wait, cpu] + phases.map { $0.reduction + $0.wait } + walls
        communicator.allReduceSum(&sums)
        // Rank 0's wall clock per mode; every rank's mean reduction wait.
        let perMode = modes.indices.map { m in
            ReductionTiming(stepSeconds: walls[m] / n, reductionSeconds: sums[6 + m] / w / n,
                            reductionShare: sums[6 + m] / w / n / (walls[m] / n))
        }
        let perStep = walls[0] / n
        flops /= n
        realTokens /= n
        let timed = steps.dropFirst(options.warmupSteps)
        var padded = [Double(timed.flatMap(\.self).map { $0.batchSize * $0.seqLen }.reduce(0, +)) / n]
        communicator.allReduceSum(&padded)
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let achieved = flops / perStep * 1e-9
        return Report(
            model: "\(config.numHiddenLayers) layers, hidden \(config.hiddenSize), \(config.numAttentionHeads) heads, ffn \(config.intermediateSize), vocab \(config.vocabSize)"
                + (options.modelPath.map { " (\($0))" } ?? " (random weights)"),
            mode: options.lora.map { "lora r=\($0.rank), alpha=\($0.alpha), dropout \($0.dropout), targets \($0.targets.map(\.rawValue).joined(separator: ","))\($0.trainPooler ? ", pooler trained" : "")" } ?? "full",
            trainableParameters: model.table.trainableCount,
            worldSize: world, blasThreadsPerRank: blasThreads(), globalBatch: g, microBatch: micro,
            accumulation: layout.accumulation, steps: options.steps,
            lengths: options.dataPath.map { "\($0) (\(lengths.count) rows)" }
                ?? "synthetic SST-2-like (mean \(String(format: "%.1f", Double(lengths.reduce(0, +)) / Double(lengths.count))), max \(lengths.max() ?? 0))",
            samplesPerSecond: Double(g) / perStep, tokensPerSecond: realTokens / perStep,
            paddingShare: 1 - realTokens / max(1, padded[0]),
            stepSeconds: perStep, forwardSeconds: sums[0] / w / n, backwardSeconds: sums[1] / w / n,
            allReduceSeconds: sums[2] / w / n, optimizerSeconds: sums[3] / w / n, waitSeconds: sums[4] / w / n,
            allReduceShare: sums[2] / w / n / perStep,
            allReduceRows: rowsCounted ? rowsReduced / n : nil,
            parameterGatherType: trainingStep.gathersBF16 ? "bf16" : "fp32",
            parameterGatherMB: Double(model.table.trainableCount * (trainingStep.gathersBF16 ? 2 : 4)) / 1e6,
            reduceScatterMB: Double((trainingStep.update.count - trainingStep.update.restStart) * 4) / 1e6,
            wordRowFloats: trainingStep.update.rows > 0 ? trainingStep.update.width : 0,
            modelGflopPerStep: flops * 1e-9, achievedGflops: achieved, sgemmPeakGflops: sgemmPeak,
            precision: precision.startupLine, bf16PeakGflops: bf16Peak,
            mfu: achieved / peak, gflopPerCPUSecond: flops * n * 1e-9 / max(sums[5], 1e-9),
            peakRSSMB: Double(usage.ru_maxrss) / 1024, allocationsPerStep: allocations, sgemm: sgemm,
            overlapOn: world > 1 ? perMode[0] : nil, overlapOff: world > 1 ? perMode[1] : nil)
    }

    /// `count` steps of the trainer's sample order (epoch plans from the seed, grouped by length
    /// when asked), spread evenly over the first epoch: each step as this rank's micro-batches.
    static func plannedSteps(lengths: [Int], dataset: TokenDataset?, layout: BatchLayout, rank: Int, count: Int,
                             config: ModelConfig, options: Options) throws -> [[MicroBatch]] {
        let g = layout.globalBatch
        guard lengths.count >= g else { throw TxfError("the data has \(lengths.count) rows, fewer than one global batch of \(g)") }
        let tokenKey = RandomKey(seed: options.seed).with(0x746F6B73)  // "toks"
        var plan = EpochPlan(rowCount: lengths.count, seed: options.seed, epoch: 0, globalBatch: g,
                             lengths: lengths, groupByLength: options.groupByLength,
                             lengthGroupBatches: options.lengthGroupBatches)
        var out: [[MicroBatch]] = []
        // Steps spread evenly over the epoch: grouped batches run from short to long rows, so a
        // run of consecutive steps would not show the epoch's length mix.
        let stride = max(1, plan.steps / count)
        for k in 0 ..< count {
            let step = k * stride
            if step / plan.steps != plan.epoch {
                plan = EpochPlan(rowCount: lengths.count, seed: options.seed, epoch: step / plan.steps, globalBatch: g,
                                 lengths: lengths, groupByLength: options.groupByLength,
                             lengthGroupBatches: options.lengthGroupBatches)
            }
            let inEpoch = step % plan.steps
            var micro: [MicroBatch] = []
            for a in 0 ..< layout.accumulation {
                let (rows, positions) = plan.rows(step: inEpoch, rank: rank, microStep: a, layout: layout)
                if let dataset {
                    var batch = MicroBatch()
                    try dataset.readRows(rows, into: &batch, sampleIndices: positions)
                    micro.append(batch)
                } else {
                    // Random ids (never the pad id 0) and labels: speed does not depend on them.
                    let ids = rows.map { row in
                        (0 ..< lengths[row]).map { t in Int32(1 + tokenKey.below(config.vocabSize - 1, UInt64(row * 1024 + t))) }
                    }
                    let labels = rows.map { Int32(tokenKey.below(config.numLabels, UInt64($0) | (1 << 40))) }
                    micro.append(MicroBatch(rows: ids, labels: labels, sampleIndices: positions))
                }
            }
            out.append(micro)
        }
        return out
    }
}
