import Foundation
import TxfCore
import TxfData
import TxfDist
import TxfEval
import TxfModel
import TxfStore

extension Trainer {
    /// Trains from `step` to `totalSteps`, evaluating and checkpointing as configured, then
    /// evaluates once more and writes `final.h5`. With `--early-stopping-patience`, an
    /// evaluation that makes it the patience-th without improvement ends the loop there instead:
    /// `final.h5` is written at that step and `earlyStop` says why.
    ///
    /// Each step takes this rank's micro-batches of the global batch (`StepReader`, from the
    /// epoch's plan; read ahead on a thread of its own while the step before computes when the
    /// node has a core to spare) and runs `TrainingStep` at the schedule's rate. A
    /// non-finite loss or gradient norm ends every rank with a `CollectiveError` naming the step.
    ///
    /// `report` receives every event on rank 0 (other ranks report nothing); rank 0 also appends
    /// them to `metrics.jsonl`.
    /// Rank 0 first writes the run record, `config.json` (`RunRecord`). A run resumed from its
    /// own `final.h5` (or from a checkpoint that met its early-stopping rule) has nothing left
    /// to do and writes nothing.
    ///
    /// SIGTERM or SIGINT on any rank stops every rank after the same step (`StopSignals`): a
    /// step checkpoint is written and the run returns how it stopped, for the caller to print
    /// `TrainingStop.message` (rank 0) and exit with `exitStatus`; nil when it ran to the end.
    @discardableResult
    public func run(report: (TrainingEvent) -> Void) throws -> TrainingStop? {
        if step >= totalSteps || stopsEarly() != nil { return nil }
        try writeRunRecord()
        let rank = communicator.rank
        StopSignals.install()
        return try withoutActuallyEscaping(report) { report in
            try loop { event in
                guard rank == 0 else { return }
                self.metrics?.append(event)
                report(event)
            }
        }
    }

    private func loop(_ emit: @escaping (TrainingEvent) -> Void) throws -> TrainingStop? {
        let spareCore = ProcessInfo.processInfo.activeProcessorCount > communicator.localRankCount * blasThreads()
        let reader = StepReader(dataset: train, layout: layout, rank: communicator.rank, seed: config.seed,
                                stepsPerEpoch: stepsPerEpoch, groupByLength: config.groupByLength,
                                lengthGroupBatches: config.lengthGroupBatches, background: spareCore)
        defer { reader.stop() }
        let started = monotonicSeconds()
        var interval = Interval(start: started)
        let firstStep = step

        while step < totalSteps {
            communicator.watch?.enter(step == firstStep ? .firstStep : .training, step: step)  // stall deadline
            let microBatches = try reader.take(step: step).micro
            let lr = schedule.rate(step: step)
            let outcome = try trainingStep.run(microBatches, step: step, learningRate: lr)
            step += 1
            interval.add(loss: outcome.loss, tokens: outcome.realTokens, flops: outcome.modelFLOPs, samples: layout.globalBatch)

            if step % config.logEvery == 0 || step == totalSteps {
                let now = monotonicSeconds()
                let seconds = max(now - interval.start, 1e-9)
                let perStep = seconds / Double(interval.steps)
                emit(.train(TrainRecord(
                    step: step, totalSteps: totalSteps, epoch: Double(step) / Double(stepsPerEpoch),
                    loss: interval.lossSum / Double(interval.steps), lr: lr, gradNorm: outcome.gradNorm,
                    tokensPerSecond: interval.tokens / seconds, samplesPerSecond: Double(interval.samples) / seconds,
                    gflopsPerSecond: interval.flops / seconds * 1e-9,
                    mfu: peakGflops > 0 ? interval.flops / seconds * 1e-9 / peakGflops : nil,
                    elapsedSeconds: now - started, etaSeconds: perStep * Double(totalSteps - step))))
                interval = Interval(start: now)
            }
            if step < totalSteps {
                let evaluates = config.evalEvery.map { $0 > 0 && step % $0 == 0 } ?? false
                if evaluates { try evaluate(emit) }
                let every = config.checkpointInterval, saved = every > 0 && step % every == 0
                if saved { try saveStepCheckpoint(emit) }
                // Decided from the all-reduced evaluation, so every rank leaves here together.
                if evaluates, let stop = stopsEarly() {
                    earlyStop = stop
                    break
                }
                // After the step's evaluation, so a resumed run's metrics and best.h5 are the same.
                if let signal = agreedStopSignal() { return try stop(by: signal, saved: saved, emit) }
            }
        }
        if earlyStop == nil { try evaluate(emit) }  // an early stop has just evaluated
        try writeCheckpoint(to: directory.finalPath, emit)
        communicator.barrier()
        if communicator.rank == 0 { MetricsPlot.writeAtEndOfRun(runDirectory: directory.path) }
        return nil
    }

    /// The stop signal of any rank (SIGTERM wins over SIGINT), from one all-reduce of two
    /// counters after every step, so all ranks stop after the same step; nil when none came.
    private func agreedStopSignal() -> Int32? {
        let received = StopSignals.received
        var counts: [Int64] = [received == SIGTERM ? 1 : 0, received == SIGINT ? 1 : 0]
        communicator.allReduceSum(&counts)
        if counts[0] > 0 { return SIGTERM }
        return counts[1] > 0 ? SIGINT : nil
    }

    /// Writes the step checkpoint `--resume auto` continues from (unless this step's was just
    /// written), then every rank waits for rank 0's write: mpirun ends the whole job as soon as
    /// one rank exits non-zero.
    private func stop(by signal: Int32, saved: Bool, _ emit: (TrainingEvent) -> Void) throws -> TrainingStop {
        if !saved { try saveStepCheckpoint(emit) }
        communicator.barrier()
        return TrainingStop(signal: signal, step: step, checkpoint: directory.stepPath(step))
    }

    /// Writes `step-<step>.h5` (rank 0) and deletes the oldest beyond `--keep`.
    func saveStepCheckpoint(_ emit: (TrainingEvent) -> Void) throws {
        try writeCheckpoint(to: directory.stepPath(step), emit)
        if communicator.rank == 0 { directory.rotate(keep: config.keep) }
    }

    /// Gathers the optimizer state (every rank), then rank 0 writes the whole state to `path`,
    /// or without the AdamW moments (`moments` false: a weights-only checkpoint).
    func writeCheckpoint(to path: String, moments: Bool = true, _ emit: (TrainingEvent) -> Void) throws {
        communicator.watch?.enter(.checkpoint, step: step)  // stall deadline: the others wait for rank 0's write
        try trainingStep.withCheckpointState { parameters in
            guard communicator.rank == 0 else { return }
            try ModelArchive.write(to: path, table: model.table, parameters: parameters,
                                   m: moments ? trainingStep.m.pointer : nil, v: moments ? trainingStep.v.pointer : nil,
                                   meta: checkpointMeta())
            emit(.checkpoint(CheckpointRecord(step: step, path: path)))
        }
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
