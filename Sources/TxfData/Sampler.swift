import TxfCore

/// How a global batch is split: `globalBatch` samples per optimizer step, over `worldSize`
/// ranks and `accumulation` micro-steps of `microBatch` samples each.
public struct BatchLayout: Sendable, Equatable, Codable {
    /// Samples per optimizer step, all ranks together (G).
    public let globalBatch: Int
    /// Ranks taking part (W).
    public let worldSize: Int
    /// Samples per rank per micro-step (M).
    public let microBatch: Int

    /// Micro-steps per optimizer step: A = G / (W · M).
    public var accumulation: Int { globalBatch / (worldSize * microBatch) }

    /// Fails unless G is a positive multiple of W · M.
    public init(globalBatch: Int, worldSize: Int, microBatch: Int) throws {
        guard globalBatch > 0, worldSize > 0, microBatch > 0 else {
            throw TxfError("global batch (\(globalBatch)), ranks (\(worldSize)) and micro-batch (\(microBatch)) must be positive")
        }
        guard globalBatch % (worldSize * microBatch) == 0 else {
            throw TxfError("global batch \(globalBatch) is not divisible by ranks × micro-batch = \(worldSize) × \(microBatch) = \(worldSize * microBatch)")
        }
        self.globalBatch = globalBatch
        self.worldSize = worldSize
        self.microBatch = microBatch
    }

    /// Positions within the global batch that `rank` trains on at `microStep`.
    ///
    /// Micro-step a covers positions [a·W·M, (a+1)·W·M); rank r takes every W-th of them from
    /// a·W·M + r. A global batch is sorted longest first, so dealing its rows out like cards
    /// gives every rank nearly the same number of tokens (a contiguous slice would give rank 0
    /// the longest rows and the others a wait at every all-reduce), and each rank's rows still
    /// have similar lengths, so padding stays small.
    public func positions(rank: Int, microStep: Int) -> StrideTo<Int> {
        precondition(rank >= 0 && rank < worldSize && microStep >= 0 && microStep < accumulation)
        let start = microStep * worldSize * microBatch
        return stride(from: start + rank, to: start + worldSize * microBatch, by: worldSize)
    }
}

/// The rows of one epoch, in training order (docs/ARCHITECTURE.md, "One optimizer step, exactly").
///
/// The order is a pure function of (seed, epoch, row count, lengths, global batch):
/// 1. a permutation of all N rows drawn from (seed, epoch);
/// 2. the tail rule: only the first ⌊N / G⌋ · G rows of that permutation are used this epoch;
///    the N mod G others sit out (a fresh permutation next epoch picks others), so every
///    rank computes the same ⌊N / G⌋ steps and no collective waits for a missing rank;
/// 3. with `groupByLength`, the used rows are cut into mega-batches of `lengthGroupBatches` global
///    batches, each sorted by length (longest first), cut into global batches, and the order of
///    the global batches is shuffled again from (seed, epoch): batches hold similar lengths, so
///    padding to each micro-batch's longest row wastes little;
/// 4. with lengths given, each global batch is sorted by length (longest first, ties by
///    position), which changes only the order inside a batch, never which rows it holds.
/// Global batch k is `order[kG ..< (k+1)G]`; a sample's index within its global batch keys its
/// dropout masks. Nothing here depends on the world size or the micro-batch.
public struct EpochPlan: Sendable {
    public let epoch: Int
    public let globalBatch: Int
    /// Optimizer steps in this epoch: ⌊N / G⌋.
    public let steps: Int
    /// Rows in training order; `steps · G` of them.
    public let order: [Int]

    /// Global batches per mega-batch when grouping by length, unless told otherwise: Hugging
    /// Face's LengthGroupedSampler's 50.
    public static let defaultLengthGroupBatches = 50

    /// - Parameters:
    ///   - lengths: tokens per row (all N rows), or nil to keep the permutation's order.
    public init(rowCount: Int, seed: UInt64, epoch: Int, globalBatch: Int,
                lengths: [Int]? = nil, groupByLength: Bool = false,
                lengthGroupBatches: Int = EpochPlan.defaultLengthGroupBatches) {
        precondition(globalBatch > 0 && rowCount >= 0 && lengthGroupBatches > 0)
        precondition(lengths == nil || lengths!.count == rowCount)
        precondition(!groupByLength || lengths != nil, "grouping by length needs the lengths")
        let epochKey = RandomKey(seed: seed).with(UInt64(epoch))
        let steps = rowCount / globalBatch
        var order = Array(shuffled(rowCount, key: epochKey.with(1)).prefix(steps * globalBatch))

        if groupByLength, let lengths {
            let mega = globalBatch * lengthGroupBatches
            var start = 0
            while start < order.count {
                let end = min(start + mega, order.count)
                EpochPlan.sortByLength(&order, start..<end, lengths)
                start = end
            }
            let batchOrder = shuffled(steps, key: epochKey.with(2))
            var regrouped = [Int]()
            regrouped.reserveCapacity(order.count)
            for k in batchOrder { regrouped += order[k * globalBatch ..< (k + 1) * globalBatch] }
            order = regrouped
        }
        if let lengths {
            for k in 0..<steps { EpochPlan.sortByLength(&order, k * globalBatch ..< (k + 1) * globalBatch, lengths) }
        }
        self.epoch = epoch
        self.globalBatch = globalBatch
        self.steps = steps
        self.order = order
    }

    /// Rows of global batch `step` (0-based within the epoch); position i keys sample i's dropout.
    public func rows(step: Int) -> ArraySlice<Int> {
        order[step * globalBatch ..< (step + 1) * globalBatch]
    }

    /// Rows `rank` trains on at `microStep` of `step`, and their positions in the global batch.
    public func rows(step: Int, rank: Int, microStep: Int, layout: BatchLayout) -> (rows: [Int], positions: [Int]) {
        precondition(layout.globalBatch == globalBatch)
        let positions = Array(layout.positions(rank: rank, microStep: microStep))
        let base = step * globalBatch
        return (positions.map { order[base + $0] }, positions)
    }

    /// Stable sort of `order[range]` by length, longest first; ties keep their order.
    private static func sortByLength(_ order: inout [Int], _ range: Range<Int>, _ lengths: [Int]) {
        let sorted = order[range].enumerated().sorted { a, b in
            let la = lengths[a.element], lb = lengths[b.element]
            return la != lb ? la > lb : a.offset < b.offset
        }.map(\.element)
        order.replaceSubrange(range, with: sorted)
    }
}

/// Where training stands in the data: optimizer step `step` (0-based, counted from the start
/// of training) is step `stepInEpoch` of `epoch`.
public struct DataCursor: Sendable, Equatable, Codable {
    public let epoch: Int
    public let stepInEpoch: Int

    public init(step: Int, stepsPerEpoch: Int) {
        precondition(stepsPerEpoch > 0)
        epoch = step / stepsPerEpoch
        stepInEpoch = step % stepsPerEpoch
    }
}
