import Foundation
import TxfCore
import TxfData
import TxfHDF5

/// Reads this rank's micro-batches of each optimizer step: with `background`, those of step
/// k + 1 on a thread of its own while step k computes, so the trainer's loop runs the step and
/// nothing else (`txf bench --training` times the same step with its batches read beforehand).
///
/// The thread pays only where a core is free: with every core busy in BLAS it takes its time
/// from the step. Measured on 2 cores, 2 ranks × 1 BLAS thread, 100 MiniLM steps: 94–96
/// samples/s with the thread, 99–103 reading in `take` (the bench: 104), so the trainer asks
/// for it only when the node has cores beyond its ranks' BLAS threads.
///
/// Two sets of buffers take turns: `take(step:)` waits for step's set, hands it over and starts
/// reading the next step into the other set. The dataset, the epoch plans and the idle set
/// belong to the reading thread; the semaphores hand a set over, so no two threads touch one at
/// once. A read error is thrown by the `take` of the step it belongs to. The main thread may
/// call HDF5 at the same time (evaluation, checkpoints), which a thread-safe build of the
/// library serialises; with any other build the reads happen in `take`, on the caller's thread.
/// Without `background` every read happens there.
final class StepReader: @unchecked Sendable {
    /// One step's micro-batches, reused (reads keep the arrays' capacity).
    final class Batches {
        fileprivate(set) var micro: [MicroBatch]
        init(count: Int) { micro = [MicroBatch](repeating: MicroBatch(), count: count) }
    }

    private let dataset: TokenDataset
    private let layout: BatchLayout
    private let rank: Int, seed: UInt64, stepsPerEpoch: Int, groupByLength: Bool, lengthGroupBatches: Int
    private let lengths: [Int]
    private let sets: [Batches]
    private var plan: EpochPlan?
    /// The step being read (or last read) and how that read ended.
    private var reading = -1
    private var failure: (any Error)?
    private var inFlight = false
    private let requested = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
    private let exited = DispatchSemaphore(value: 0)
    private var thread: Thread?
    private var stopping = false
    /// Whether the reads run on a thread of their own.
    let background: Bool

    init(dataset: TokenDataset, layout: BatchLayout, rank: Int, seed: UInt64, stepsPerEpoch: Int, groupByLength: Bool,
         lengthGroupBatches: Int, background: Bool) {
        self.background = background && hdf5IsThreadSafe
        self.dataset = dataset
        self.layout = layout
        self.rank = rank
        self.seed = seed
        self.stepsPerEpoch = stepsPerEpoch
        self.groupByLength = groupByLength
        self.lengthGroupBatches = lengthGroupBatches
        lengths = dataset.lengths.map(Int.init)
        sets = [Batches(count: layout.accumulation), Batches(count: layout.accumulation)]
    }

    deinit { stop() }

    /// This rank's micro-batches of optimizer step `step` (steps are taken in order from the
    /// first one asked for); valid until the `take` after next.
    func take(step: Int) throws -> Batches {
        guard background else {
            try read(step: step, into: sets[step % 2])
            return sets[step % 2]
        }
        if thread == nil {
            let thread = Thread { [unowned self] in self.serve() }
            thread.name = "txf step reader"
            thread.start()
            self.thread = thread
            request(step)
        }
        precondition(step == reading, "steps are read in order: asked for \(step), reading \(reading)")
        done.wait()
        inFlight = false
        if let failure { throw failure }
        let batches = sets[step % 2]
        request(step + 1)
        return batches
    }

    /// Ends the reading thread after the read in flight, and waits for it to end.
    func stop() {
        guard thread != nil, !stopping else { return }
        if inFlight { done.wait() }
        stopping = true
        requested.signal()
        exited.wait()
    }

    private func request(_ step: Int) {
        reading = step
        inFlight = true
        requested.signal()
    }

    private func serve() {
        defer { exited.signal() }
        while true {
            requested.wait()
            if stopping { return }
            do { try read(step: reading, into: sets[reading % 2]) } catch { failure = error }
            done.signal()
        }
    }

    private func read(step: Int, into batches: Batches) throws {
        let cursor = DataCursor(step: step, stepsPerEpoch: stepsPerEpoch)
        if plan?.epoch != cursor.epoch {
            plan = EpochPlan(rowCount: dataset.rowCount, seed: seed, epoch: cursor.epoch, globalBatch: layout.globalBatch,
                             lengths: lengths, groupByLength: groupByLength, lengthGroupBatches: lengthGroupBatches)
        }
        for micro in batches.micro.indices {
            let (rows, positions) = plan!.rows(step: cursor.stepInEpoch, rank: rank, microStep: micro, layout: layout)
            try dataset.readRows(rows, into: &batches.micro[micro], sampleIndices: positions)
        }
    }
}
