import Foundation
import TxfCore
import TxfDist
import TxfModel

/// The reduce-scattered part of the gradient summed while the step's last backward still
/// computes the layers below (docs/ARCHITECTURE.md, "Gradient reduction behind backward").
///
/// Backward finishes the gradient from the end of the buffer towards its start (the head, the
/// blocks from the last down, then the embeddings: `BackwardStage`, `ParameterTable`). A chunk
/// of `DataParallelUpdate.restLayout` is ready once every stage that writes any of its floats
/// is finished; `stageFinished` hands the chunks that became ready to a thread of their own,
/// which reduce-scatters each one with the ring `sumRest` runs, one chunk at a time (the same
/// pieces, rounds and additions), so every float gets the same sum, bit for bit, as after
/// backward. Which chunks a stage readies depends on the table only, so every rank queues them
/// in the same order and the ranks' rings meet.
///
/// Per step: `begin`, `stageFinished` for every stage of the last backward, `finish` (waits
/// until every chunk is summed). Between `begin` and `finish` the reduction thread is the only
/// one of this process inside a collective; the caller calls none meanwhile.
final class OverlappedReduction {
    /// The chunks readied by the stage at each position of backward's order, [layers + 2].
    let readyAfter: [[Int]]
    let layers: Int
    private let queue: ChunkQueue

    /// - Parameters:
    ///   - update: whose `restLayout` and `restStart` the chunks are taken from.
    ///   - table: the model's tensors (the gradient's layout) of a model of `layers` blocks.
    init(update: DataParallelUpdate, table: ParameterTable, layers: Int, gradients: FloatBuffer) {
        let layout = update.restLayout, start = update.restStart
        self.layers = layers
        // The last stage, in backward's order, to write into each chunk.
        var last = [Int](repeating: 0, count: layout.chunkCount)
        for e in table.entries where e.trainable && e.offset + e.count > start {
            let order = BackwardStage(tensor: e.name).order(layers: layers)
            let first = (max(e.offset, start) - start) / layout.chunkElements
            let end = (e.offset + e.count - start - 1) / layout.chunkElements
            for chunk in first ... end { last[chunk] = max(last[chunk], order) }
        }
        readyAfter = (0 ..< layers + 2).map { order in
            // From the buffer's end, the order backward frees them in.
            last.indices.reversed().filter { last[$0] == order }
        }
        queue = ChunkQueue(communicator: update.communicator, layout: layout,
                           rest: UnsafeMutableBufferPointer(start: gradients.pointer + start, count: layout.count))
        let thread = Thread { [queue] in queue.serve() }
        thread.name = "txf gradient reduction"
        thread.start()
    }

    deinit { queue.stop() }

    /// Starts a step: no chunk summed yet.
    func begin() { queue.reset() }

    /// Backward has finished `stage` (`BertClassifier.backward`'s callback).
    func stageFinished(_ stage: BackwardStage) {
        queue.push(readyAfter[stage.order(layers: layers)])
    }

    /// Waits until every chunk is summed (each rank's owned floats hold the sum over ranks).
    func finish() { queue.waitUntilDone() }
}

/// The chunks queued for the reduction thread, and that thread's loop. Shared between the
/// step's thread and the reduction thread; every field is read and written under `condition`.
private final class ChunkQueue: @unchecked Sendable {
    let communicator: any Communicator
    let layout: ShardLayout
    /// [layout.count], the reduce-scattered part of the gradient.
    let rest: UnsafeMutableBufferPointer<Float>
    /// One `ShardLayout` of a single chunk, for a full chunk and for the last: reduce-scattering
    /// chunk i alone with it runs the ring of `reduceScatterSum(rest, layout)` on chunk i.
    let fullChunk: ShardLayout, lastChunk: ShardLayout
    let condition = NSCondition()
    /// Chunk indices in the order they became ready (capacity for all, kept: no allocation).
    var ready: [Int]
    var taken = 0, done = 0
    var stopping = false

    init(communicator: any Communicator, layout: ShardLayout, rest: UnsafeMutableBufferPointer<Float>) {
        self.communicator = communicator
        self.layout = layout
        self.rest = rest
        let world = layout.worldSize
        fullChunk = ShardLayout(count: min(layout.chunkElements, layout.count), worldSize: world, chunkElements: layout.chunkElements)
        let tail = layout.count - max(0, layout.chunkCount - 1) * layout.chunkElements
        lastChunk = ShardLayout(count: tail, worldSize: world, chunkElements: layout.chunkElements)
        ready = []
        ready.reserveCapacity(layout.chunkCount)
    }

    func reset() {
        condition.lock()
        precondition(done == ready.count, "a step began before the last one's reduction finished")
        ready.removeAll(keepingCapacity: true)
        taken = 0
        done = 0
        condition.unlock()
    }

    func push(_ chunks: [Int]) {
        guard !chunks.isEmpty else { return }
        condition.lock()
        ready.append(contentsOf: chunks)
        condition.broadcast()
        condition.unlock()
    }

    func waitUntilDone() {
        condition.lock()
        precondition(ready.count == layout.chunkCount, "backward did not finish every stage")
        while done < layout.chunkCount { condition.wait() }
        condition.unlock()
    }

    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    /// The reduction thread: blocked on the condition until a chunk is ready, then sums it.
    func serve() {
        condition.lock()
        while true {
            while taken == ready.count && !stopping { condition.wait() }
            if stopping { break }
            let index = ready[taken]
            taken += 1
            condition.unlock()
            let start = index * layout.chunkElements
            let chunk = index == layout.chunkCount - 1 ? lastChunk : fullChunk
            communicator.reduceScatterSumBesideComputation(
                UnsafeMutableBufferPointer(start: rest.baseAddress! + start, count: chunk.count), layout: chunk)
            condition.lock()
            done += 1
            condition.broadcast()
        }
        condition.unlock()
    }
}
