import TxfCore
import TxfData
import TxfDist
import TxfMatmul
import TxfModel

/// One optimizer step of data-parallel training: the step `Trainer` loops over and
/// `txf bench --training` times (docs/ARCHITECTURE.md, "One optimizer step, exactly").
///
/// `run` takes this rank's A micro-batches of the global batch (G samples over all ranks) and:
/// 1. zeroes the gradients;
/// 2. per micro-batch, forward with dropout keyed by (seed, step, sample index) and backward
///    with loss scale 1/G, so the gradient adds up to ∂(Σ sample losses)/G;
/// 3. sums the gradients over ranks (`DataParallelUpdate`) and the step's loss, real tokens,
///    model FLOPs and loss terms (one all-reduce of four Doubles); with `overlapsReduction` (the
///    default) the reduce-scattered part is summed chunk by chunk while the last micro-batch's
///    backward computes the layers below (`OverlappedReduction`), the same sums bit for bit;
/// 4. takes the global gradient norm and stops every rank alike when it or the loss is not
///    finite (every rank sees the same sums); a masked-LM model's gradient is rescaled from
///    the mean over samples to the mean over the step's picked tokens first;
/// 5. runs AdamW, with the clipping factor folded in, on this rank's shard (ZeRO stage 1);
/// 6. all-gathers the parameters, so every rank leaves with the same model, and tells the
///    model's products (bf16 or oneDNN weight copies are refreshed on their next use).
///
/// In the bf16 precisions AdamW runs on fp32 master weights and the model computes with their
/// bf16 roundings, gathered as bf16 (`MasterWeights`).
///
/// It owns the optimizer state: the AdamW moments and the masters (only this rank's shard is
/// current between steps; `withCheckpointState` makes them whole for a checkpoint) and the
/// sharding.
///
/// The word-embedding rows. Backward marks in `model.touchedWordRows` every row of the word
/// gradient it adds to; the marks are the step's record of which rows may be nonzero. The sum
/// adds every rank's marks, so afterwards they mark the union that it wrote; `zeroGradients`
/// at the next step clears exactly those rows and the marks. Only this type calls both, so
/// the invariant — a row without a mark is zero on every rank — holds between steps.
public final class TrainingStep {
    public let model: BertClassifier
    public let communicator: any Communicator
    public let layout: BatchLayout
    public let optimizer: AdamW
    /// Keys the dropout masks, with the step and the sample's position in the global batch.
    public let seed: UInt64
    /// Clip the gradient to this global norm (0: no clipping).
    public let maxGradNorm: Double
    /// AdamW moments, [trainableCount] each, in the gradient layout.
    public let m: FloatBuffer, v: FloatBuffer
    /// fp32 masters of the bf16 precisions; nil in fp32, where AdamW updates the parameters.
    let masters: MasterWeights?
    /// Whether the parameters are all-gathered as bf16 (the bf16 precisions) rather than fp32.
    public var gathersBF16: Bool { masters != nil }
    /// When set, `run` adds each phase's seconds to it, and (without overlap) waits for the
    /// slowest rank at a barrier before the sum so that the sum times communication only
    /// (`txf bench`).
    public var phases: StepPhases?
    let update: DataParallelUpdate
    /// Sum the gradient behind the last backward (`--overlap-reduction`); off, after it.
    /// Either way the same bits; set it identically on every rank.
    public var overlapsReduction: Bool
    /// The reduction thread and its chunk plan; nil on one rank, where nothing is summed.
    let overlapped: OverlappedReduction?
    /// [Σ sample losses, real tokens, model FLOPs, loss terms (samples, or a masked-LM model's
    /// picked tokens)] of this rank, then of all ranks.
    private var totals = [0.0, 0.0, 0.0, 0.0]

    /// What one step measured, the same on every rank.
    public struct Outcome: Sendable, Equatable {
        /// Mean loss over the global batch (a masked-LM model's: over its picked tokens; 0 when
        /// the step picked none).
        public var loss: Double
        /// Global gradient norm before clipping.
        public var gradNorm: Double
        /// Real (unpadded) tokens of the global batch.
        public var realTokens: Double
        /// Model FLOPs of the step, all ranks (`ModelConfig.trainingFLOPs(lengths:lora:)`).
        public var modelFLOPs: Double
        /// Word-embedding rows summed as rows, or nil when the whole gradient went densely.
        public var wordRowsSummed: Int?
    }

    /// - Parameters:
    ///   - denseWordEmbeddings: reduce-scatter the word-embedding gradient like the rest
    ///     instead of as its touched rows (for comparison in `txf bench`).
    ///   - overlapReduction: the initial `overlapsReduction`.
    ///   - chunkElements: floats per chunk of the gradient exchange (`ShardLayout`).
    public init(model: BertClassifier, communicator: any Communicator, layout: BatchLayout, optimizer: AdamW,
                seed: UInt64, maxGradNorm: Double, denseWordEmbeddings: Bool = false, overlapReduction: Bool = true,
                chunkElements: Int = 1 << 21) {
        self.model = model
        self.communicator = communicator
        self.layout = layout
        self.optimizer = optimizer
        self.seed = seed
        self.maxGradNorm = maxGradNorm
        m = FloatBuffer(count: model.table.trainableCount)
        v = FloatBuffer(count: model.table.trainableCount)
        update = DataParallelUpdate(table: model.table, communicator: communicator,
                                    denseWordEmbeddings: denseWordEmbeddings, chunkElements: chunkElements)
        masters = model.products.mode.roundsToBF16 ? MasterWeights(trainableCount: model.table.trainableCount) : nil
        overlapsReduction = overlapReduction
        overlapped = communicator.worldSize > 1
            ? OverlappedReduction(update: update, table: model.table, layers: model.config.numHiddenLayers,
                                  gradients: model.gradients)
            : nil
    }

    /// Runs optimizer step `step` (0-based) on this rank's micro-batches at `learningRate`.
    /// Throws a `CollectiveError` on every rank when the loss or the gradient norm is not finite
    /// (the parameters are then left as they were before the update).
    public func run(_ microBatches: [MicroBatch], step: Int, learningRate: Float) throws -> Outcome {
        precondition(microBatches.count == layout.accumulation, "one micro-batch per micro-step")
        var clock = monotonicSeconds()
        masters?.capture(from: model.parameters)
        model.zeroGradients()
        phases?.add(.optimizer, since: &clock)
        let mode = ForwardMode.train(seed: seed, step: UInt64(step)), lossScale = 1 / Float(layout.globalBatch)
        for k in totals.indices { totals[k] = 0 }
        let overlapped = overlapsReduction ? self.overlapped : nil
        for (k, batch) in microBatches.enumerated() {
            totals[0] += model.forward(batch, mode: mode)
            phases?.add(.forward, since: &clock)
            if let overlapped, k == microBatches.count - 1 {
                // The step's last backward: each stage's gradients are now final.
                overlapped.begin()
                model.backward(lossScale: lossScale) { overlapped.stageFinished($0) }
            } else {
                model.backward(lossScale: lossScale)
            }
            totals[1] += Double(batch.realTokenCount)
            totals[2] += model.config.trainingFLOPs(lengths: batch.lengths, lora: model.loraConfig,
                                                    picks: model.predictedTokens)
            totals[3] += Double(model.lossTerms)
            phases?.add(.backward, since: &clock)
        }
        if let overlapped {
            // What backward did not hide (and the wait for the slowest rank, which it contains).
            overlapped.finish()
            update.sumWordRows(model.gradients, touchedRows: model.touchedWordRows)
        } else {
            if phases != nil && communicator.worldSize > 1 {
                communicator.barrier()
                phases?.add(.wait, since: &clock)
            }
            update.sumGradients(model.gradients, touchedRows: model.touchedWordRows)
        }
        communicator.allReduceSum(&totals)
        phases?.add(.reduction, since: &clock)
        let loss = totals[3] > 0 ? totals[0] / totals[3] : 0
        // A masked-LM loss is the mean over the step's picked tokens (Hugging Face's), not over
        // its samples: the sum the 1/G backward built is rescaled by G / picks (0 without picks).
        let termScale = model.config.head == .maskedLM ? (totals[3] > 0 ? Double(layout.globalBatch) / totals[3] : 0) : 1
        let norm = update.gradientNorm(model.gradients) * termScale
        guard loss.isFinite, norm.isFinite else {
            throw CollectiveError("training diverged at step \(step + 1): loss is \(Self.show(loss)), gradient norm \(Self.show(norm)); lower --lr (this step's rate was \(learningRate)) or check the data")
        }
        update.update(optimizer, params: masters?.values ?? model.parameters, gradients: model.gradients, m: m, v: v,
                      step: step, learningRate: learningRate,
                      gradientScale: Float(termScale) * GradientClipping.scale(norm: norm, maxNorm: maxGradNorm))
        phases?.add(.optimizer, since: &clock)
        if let masters {
            masters.gather(into: model.parameters, update: update)
        } else {
            update.gatherParameters(model.parameters)
        }
        model.products.trainableParametersDidChange()
        phases?.add(.communication, since: &clock)
        return Outcome(loss: loss, gradNorm: norm, realTokens: totals[1], modelFLOPs: totals[2],
                       wordRowsSummed: update.lastRowCount)
    }

    /// Makes the optimizer state whole on every rank for a checkpoint — the AdamW moments `m`
    /// and `v` and, in the bf16 precisions, the fp32 masters — then calls `body` with the
    /// [totalCount] parameters to store: the masters where there are any, so a checkpoint
    /// always holds the full-precision state. Collective: every rank calls it.
    public func withCheckpointState<Result>(_ body: (UnsafePointer<Float>) throws -> Result) rethrows -> Result {
        update.gatherMoments(m: m, v: v)
        guard let masters else { return try body(model.parameters.pointer) }
        return try masters.withMasters(in: model.parameters, update: update, body)
    }

    /// The GFLOP/s of all ranks together on this model's matrix shapes for micro-steps of
    /// `tokens` token rows, on the engine of `mode` (default: the model's own; OpenBLAS sgemm
    /// for fp32 and the bf16 reference, oneDNN for its modes): every rank measures at once, as
    /// they train. The MFU's denominator.
    public func measurePeak(on mode: MatmulMode? = nil, tokens: Int, secondsPerShape: Double) throws
        -> (report: SgemmBenchmark.Report, allRanksGflops: Double) {
        let shapes = model.config.matmulShapes(tokens: max(1, tokens))
        communicator.barrier()
        let report: SgemmBenchmark.Report
        switch mode ?? model.products.mode {
        case .oneDNN(let type):
            report = try DNNLMatmulBenchmark.run(shapes: shapes, dataType: type, threads: blasThreads(),
                                                 secondsPerShape: secondsPerShape)
        case .openBLAS, .bf16Reference:
            report = SgemmBenchmark.run(shapes: shapes, secondsPerShape: secondsPerShape)
        }
        var peak = [report.peakGflops]
        communicator.allReduceSum(&peak)
        return (report, peak[0])
    }

    /// A number for a message: "NaN" / "inf" rather than C's "-nan".
    static func show(_ x: Double) -> String {
        x.isNaN ? "NaN" : x.isInfinite ? (x < 0 ? "-inf" : "inf") : "\(x)"
    }
}

/// Seconds a `TrainingStep` spent in each phase, summed over the steps run since `reset`.
public struct StepPhases: Sendable, Equatable {
    public var forward = 0.0
    public var backward = 0.0
    /// Waiting at the barrier for the slowest rank's forward and backward (without overlap;
    /// with it, that wait is part of `reduction`).
    public var wait = 0.0
    /// Gradient sum and loss all-reduce, as far as the step waited for them after backward:
    /// all of it without overlap, what backward did not hide with it.
    public var reduction = 0.0
    /// Parameter all-gather.
    public var communication = 0.0
    /// Zeroing the gradients, the norm, clipping and AdamW on this rank's shard.
    public var optimizer = 0.0

    public enum Phase: Sendable { case forward, backward, wait, reduction, communication, optimizer }

    public init() {}

    public mutating func reset() { self = StepPhases() }

    /// Adds the seconds since `clock` to `phase` and moves `clock` to now.
    public mutating func add(_ phase: Phase, since clock: inout Double) {
        let now = monotonicSeconds(), seconds = now - clock
        clock = now
        switch phase {
        case .forward: forward += seconds
        case .backward: backward += seconds
        case .wait: wait += seconds
        case .reduction: reduction += seconds
        case .communication: communication += seconds
        case .optimizer: optimizer += seconds
        }
    }
}
