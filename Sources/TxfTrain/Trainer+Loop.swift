import Foundation
import TxfCore
import TxfData
import TxfDist
import TxfModel

extension Trainer {
    /// Trains from `step` to `totalSteps`, evaluating and checkpointing as configured, then
    /// evaluates once more and writes `final.h5`.
    ///
    /// One optimizer step (DESIGN.md, "One optimizer step, exactly"): zero the gradients; for each
    /// of the A micro-steps read this rank's rows of the global batch and run forward and
    /// backward with loss scale 1/G; sum the gradients over ranks; the step's loss is the
    /// all-reduced sum of sample losses / G; then global-norm clipping and AdamW at the
    /// schedule's rate, each rank updating its shard of the parameters, and an all-gather of
    /// the parameters (`DataParallelUpdate`). A non-finite loss or gradient norm ends every rank with a
    /// `CollectiveError` naming the step (every rank sees the same all-reduced numbers).
    ///
    /// `report` receives every event on rank 0 (other ranks report nothing); rank 0 also appends
    /// them to `metrics.jsonl`.
    /// A run resumed from its own `final.h5` has nothing left to do and writes nothing.
    public func run(report: (TrainingEvent) -> Void) throws {
        if step >= totalSteps { return }
        let rank = communicator.rank
        try withoutActuallyEscaping(report) { report in
            try loop { event in
                guard rank == 0 else { return }
                self.metrics?.append(event)
                report(event)
            }
        }
    }

    private func loop(_ emit: @escaping (TrainingEvent) -> Void) throws {
        let rank = communicator.rank
        let g = layout.globalBatch
        let lossScale = 1 / Float(g)
        let lengths = train.lengths.map(Int.init)
        var plan: EpochPlan? = nil
        var batch = TokenBatch()
        let started = monotonicSeconds()
        var interval = Interval(start: started)

        while step < totalSteps {
            let cursor = DataCursor(step: step, stepsPerEpoch: stepsPerEpoch)
            if plan?.epoch != cursor.epoch {
                plan = EpochPlan(rowCount: train.rowCount, seed: config.seed, epoch: cursor.epoch, globalBatch: g,
                                 lengths: lengths, groupByLength: config.groupByLength)
            }
            model.zeroGradients()
            var local = [0.0, 0.0, 0.0]  // [Σ sample losses, real tokens, model FLOPs] of this rank
            for micro in 0 ..< layout.accumulation {
                let (rows, positions) = plan!.rows(step: cursor.stepInEpoch, rank: rank, microStep: micro, layout: layout)
                try train.readRows(rows, into: &batch)
                local[0] += model.forward(MicroBatch(batch, sampleIndices: positions),
                                          mode: .train(seed: config.seed, step: UInt64(step)))
                model.backward(lossScale: lossScale)
                local[1] += Double(batch.realTokenCount)
                let rowLengths = batch.lengths.lazy.map(Int.init)
                local[2] += model.loraConfig.map { $0.trainingFLOPs(model.config, lengths: rowLengths) }
                    ?? model.config.trainingFLOPs(lengths: rowLengths)
            }
            update.sumGradients(model.gradients, touchedRows: model.touchedWordRows)
            communicator.allReduceSum(&local)
            let loss = local[0] / Double(g)
            let norm = update.gradientNorm(model.gradients)
            guard loss.isFinite, norm.isFinite else {
                throw CollectiveError("training diverged at step \(step + 1): loss is \(Trainer.show(loss)), gradient norm \(Trainer.show(norm)); lower --lr (now \(config.lr)) or check the data")
            }
            let lr = schedule.rate(step: step)
            update.update(optimizer, params: model.parameters, gradients: model.gradients, m: m, v: v, step: step,
                          learningRate: lr, gradientScale: GradientClipping.scale(norm: norm, maxNorm: config.maxGradNorm))
            update.gatherParameters(model.parameters)
            step += 1
            interval.add(loss: loss, tokens: local[1], flops: local[2], samples: g)

            if step % config.logEvery == 0 || step == totalSteps {
                let now = monotonicSeconds()
                let seconds = max(now - interval.start, 1e-9)
                let perStep = seconds / Double(interval.steps)
                emit(.train(TrainRecord(
                    step: step, totalSteps: totalSteps, epoch: Double(step) / Double(stepsPerEpoch),
                    loss: interval.lossSum / Double(interval.steps), lr: lr, gradNorm: norm,
                    tokensPerSecond: interval.tokens / seconds, samplesPerSecond: Double(interval.samples) / seconds,
                    gflopsPerSecond: interval.flops / seconds * 1e-9,
                    mfu: sgemmPeakGflops > 0 ? interval.flops / seconds * 1e-9 / sgemmPeakGflops : nil,
                    elapsedSeconds: now - started, etaSeconds: perStep * Double(totalSteps - step))))
                interval = Interval(start: now)
            }
            if step < totalSteps {
                if let every = config.evalEvery, every > 0, step % every == 0 { try evaluate(emit) }
                if let every = config.saveEvery, every > 0, step % every == 0 { try saveStepCheckpoint(emit) }
            }
        }
        try evaluate(emit)
        update.gatherMoments(m: m, v: v)
        if rank == 0 {
            let path = directory.finalPath
            try Checkpoint.write(to: path, table: model.table, parameters: model.parameters.pointer,
                                 m: m.pointer, v: v.pointer, meta: checkpointMeta())
            emit(.checkpoint(CheckpointRecord(step: step, path: path)))
        }
        communicator.barrier()
    }

    /// Evaluates on `--eval` (if given); a new best accuracy writes `best.h5` (rank 0).
    func evaluate(_ emit: (TrainingEvent) -> Void) throws {
        guard let eval else { return }
        let record = try Evaluation.run(model: model, dataset: eval, batchSize: evalBatch,
                                        communicator: communicator, step: step)
        emit(.eval(record))
        if record.accuracy > (bestAccuracy ?? -1) {
            bestAccuracy = record.accuracy
            update.gatherMoments(m: m, v: v)
            if communicator.rank == 0 {
                try Checkpoint.write(to: directory.bestPath, table: model.table, parameters: model.parameters.pointer,
                                     m: m.pointer, v: v.pointer, meta: checkpointMeta())
                emit(.checkpoint(CheckpointRecord(step: step, path: directory.bestPath)))
            }
        }
    }

    /// Writes `step-<step>.h5` (rank 0) and deletes the oldest beyond `--keep`.
    func saveStepCheckpoint(_ emit: (TrainingEvent) -> Void) throws {
        update.gatherMoments(m: m, v: v)
        guard communicator.rank == 0 else { return }
        let path = directory.stepPath(step)
        try Checkpoint.write(to: path, table: model.table, parameters: model.parameters.pointer,
                             m: m.pointer, v: v.pointer, meta: checkpointMeta())
        emit(.checkpoint(CheckpointRecord(step: step, path: path)))
        directory.rotate(keep: config.keep)
    }
}

extension Trainer {
    /// A number for a message: "NaN" / "inf" rather than C's "-nan".
    static func show(_ x: Double) -> String {
        x.isNaN ? "NaN" : x.isInfinite ? (x < 0 ? "-inf" : "inf") : "\(x)"
    }
}

/// Totals of one log interval.
struct Interval {
    var start: Double
    var steps = 0
    var lossSum = 0.0
    var tokens = 0.0
    var flops = 0.0
    var samples = 0

    init(start: Double) { self.start = start }

    mutating func add(loss: Double, tokens: Double, flops: Double, samples: Int) {
        steps += 1
        lossSum += loss
        self.tokens += tokens
        self.flops += flops
        self.samples += samples
    }
}

/// Seconds on the monotonic clock (for rates and ETA; never goes back).
func monotonicSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}
