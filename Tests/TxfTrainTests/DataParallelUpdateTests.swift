import Foundation
import Testing
import TxfCore
import TxfDist
import TxfMatmul
import TxfModel
@testable import TxfEval
@testable import TxfStore
@testable import TxfTrain

/// W ranks as W threads of one process. The collectives really combine the ranks' buffers
/// (each rank posts its pointer, all wait, each reads the others' values, all wait again), so
/// a collective called with different sizes or layouts on two ranks shows up as a wrong result
/// or a failed precondition. Sums add the ranks' values in rank order, the same bits on every
/// rank. `reduceScatterSum` leaves the full sum everywhere, which its contract allows (only the
/// owned floats are specified).
final class ThreadRanks: @unchecked Sendable {
    let size: Int
    let lock = NSCondition()
    var posted: [UnsafeMutableBufferPointer<Float>?]
    var postedDoubles: [[Double]]
    var postedWords: [UnsafeMutableBufferPointer<UInt16>?]
    var arrived = 0, generation = 0

    init(size: Int = 2) {
        self.size = size
        posted = Array(repeating: nil, count: size)
        postedDoubles = Array(repeating: [], count: size)
        postedWords = Array(repeating: nil, count: size)
    }

    /// Waits until every rank has arrived (a reusable barrier).
    func wait() {
        lock.lock()
        let g = generation
        arrived += 1
        if arrived == size {
            arrived = 0
            generation += 1
            lock.broadcast()
        } else {
            while generation == g { lock.wait() }
        }
        lock.unlock()
    }

    /// Every rank's buffer, once all have posted theirs.
    private func exchange(_ buffer: UnsafeMutableBufferPointer<Float>, rank: Int) -> [UnsafeMutableBufferPointer<Float>] {
        lock.lock(); posted[rank] = buffer; lock.unlock()
        wait()
        let all = posted.map { $0! }
        precondition(all.allSatisfy { $0.count == buffer.count }, "ranks called a collective with different sizes")
        return all
    }

    func sum(_ buffer: UnsafeMutableBufferPointer<Float>, rank: Int) {
        let all = exchange(buffer, rank: rank)
        let sums = (0 ..< buffer.count).map { i in all.dropFirst().reduce(all[0][i]) { $0 + $1[i] } }
        wait()
        for i in 0 ..< buffer.count { buffer[i] = sums[i] }
        wait()
    }

    func gather(_ buffer: UnsafeMutableBufferPointer<Float>, layout: ShardLayout, rank: Int) {
        let all = exchange(buffer, rank: rank)
        // The others write only into their copies of this rank's floats: no race.
        for other in 0 ..< size where other != rank {
            for range in layout.ownedRanges(rank: other) { for i in range { buffer[i] = all[other][i] } }
        }
        wait()
    }

    /// `gather` of 16-bit words (bf16 parameters).
    func gather(_ buffer: UnsafeMutableBufferPointer<UInt16>, layout: ShardLayout, rank: Int) {
        lock.lock(); postedWords[rank] = buffer; lock.unlock()
        wait()
        let all = postedWords.map { $0! }
        precondition(all.allSatisfy { $0.count == buffer.count }, "ranks called a collective with different sizes")
        for other in 0 ..< size where other != rank {
            for range in layout.ownedRanges(rank: other) { for i in range { buffer[i] = all[other][i] } }
        }
        wait()
    }

    func sum(_ values: inout [Double], rank: Int) {
        lock.lock(); postedDoubles[rank] = values; lock.unlock()
        wait()
        values = values.indices.map { i in postedDoubles.dropFirst().reduce(postedDoubles[0][i]) { $0 + $1[i] } }
        wait()
    }
}

final class ThreadRank: Communicator, @unchecked Sendable {
    let group: ThreadRanks
    let rank: Int
    var worldSize: Int { group.size }
    var localRankCount: Int { group.size }
    init(_ group: ThreadRanks, rank: Int) { self.group = group; self.rank = rank }
    func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) { group.sum(buffer, rank: rank) }
    func reduceScatterSum(_ buffer: UnsafeMutableBufferPointer<Float>, layout: ShardLayout) {
        precondition(layout.count == buffer.count && layout.worldSize == group.size)
        group.sum(buffer, rank: rank)
    }
    func allGather(_ buffer: UnsafeMutableBufferPointer<Float>, layout: ShardLayout) {
        precondition(layout.count == buffer.count && layout.worldSize == group.size)
        group.gather(buffer, layout: layout, rank: rank)
    }
    func allGather(_ buffer: UnsafeMutableBufferPointer<UInt16>, layout: ShardLayout) {
        precondition(layout.count == buffer.count && layout.worldSize == group.size)
        group.gather(buffer, layout: layout, rank: rank)
    }
    func allReduceSum(_ values: inout [Double]) { group.sum(&values, rank: rank) }
    func allReduceSum(_ values: inout [Int64]) { fatalError("unused") }
    func broadcast(_ bytes: inout [UInt8], root: Int) { fatalError("unused") }
    func allGather(_ bytes: [UInt8]) -> [[UInt8]] { fatalError("unused") }
    func barrier() { group.wait() }
    func abort(_ message: String) -> Never { fatalError(message) }
}

/// Runs `body(rank)` for ranks 0 ..< `count` on threads at once (never one after the other:
/// the collectives wait for all), and returns when all are done.
func runRanks(_ count: Int = 2, _ body: @escaping @Sendable (Int) -> Void) {
    let done = DispatchSemaphore(value: 0)
    for rank in 1 ..< count {
        let other = Thread { body(rank); done.signal() }
        other.start()
    }
    body(0)
    for _ in 1 ..< count { done.wait() }
}

/// Both ranks' state for one optimizer step's end, shared with the rank threads.
private final class Ranks: @unchecked Sendable {
    let table: ParameterTable
    let grads: [FloatBuffer]
    let params: [FloatBuffer], m: [FloatBuffer], v: [FloatBuffer]
    var updates: [DataParallelUpdate?] = [nil, nil]
    var norms = [0.0, 0.0]
    let pair = ThreadRanks()
    let chunkElements: Int
    /// The word rows each rank's backward would have marked (nil: those nonzero in its gradient).
    var marks: [FloatBuffer]?

    init(table: ParameterTable, grads: [FloatBuffer], initial: FloatBuffer, chunkElements: Int) {
        self.table = table
        self.grads = grads
        self.chunkElements = chunkElements
        func copy(_ b: FloatBuffer) -> FloatBuffer { let c = FloatBuffer(count: b.count); c.pointer.update(from: b.pointer, count: b.count); return c }
        params = [copy(initial), copy(initial)]
        m = (0 ..< 2).map { _ in FloatBuffer(count: table.trainableCount) }
        v = (0 ..< 2).map { _ in FloatBuffer(count: table.trainableCount) }
    }

    /// [V] marks of the word rows that are nonzero in `g` (what backward would have marked);
    /// empty when the table is frozen.
    func nonzeroWordRows(_ g: FloatBuffer) -> FloatBuffer {
        guard let word = table["embeddings.word_embeddings.weight"], word.trainable else { return FloatBuffer(count: 0) }
        let rows = word.shape[0], d = word.shape[1], marks = FloatBuffer(count: rows)
        for r in 0 ..< rows where (0 ..< d).contains(where: { g[word.offset + r * d + $0] != 0 }) { marks[r] = 1 }
        return marks
    }

    /// Two AdamW steps, the second on the first's gradient again (so the moments carry over).
    func run(optimizer: AdamW, maxNorm: Double) {
        runRanks { rank in
            let update = DataParallelUpdate(table: self.table, communicator: ThreadRank(self.pair, rank: rank),
                                            chunkElements: self.chunkElements)
            self.updates[rank] = update
            let local = self.grads[rank].toArray()
            for step in 0 ..< 2 {
                for i in local.indices { self.grads[rank][i] = local[i] }
                if let marks = self.marks {
                    // Fresh marks each step, as zeroGradients leaves them.
                    let touched = marks[rank]
                    let fresh = FloatBuffer(count: touched.count)
                    fresh.pointer.update(from: touched.pointer, count: touched.count)
                    update.sumGradients(self.grads[rank], touchedRows: fresh)
                } else {
                    update.sumGradients(self.grads[rank], touchedRows: self.nonzeroWordRows(self.grads[rank]))
                }
                let norm = update.gradientNorm(self.grads[rank])
                self.norms[rank] = norm
                update.update(optimizer, params: self.params[rank], gradients: self.grads[rank], m: self.m[rank], v: self.v[rank],
                              step: step, learningRate: 1e-2, gradientScale: GradientClipping.scale(norm: norm, maxNorm: maxNorm))
                update.gatherParameters(self.params[rank])
            }
            update.gatherMoments(m: self.m[rank], v: self.v[rank])
        }
    }
}

@Suite struct DataParallelUpdateTests {
    let config = ModelConfig(vocabSize: 50, hiddenSize: 8, numHiddenLayers: 1, numAttentionHeads: 2,
                             intermediateSize: 16, maxPositionEmbeddings: 8, numLabels: 2)

    /// A gradient in the layout of a tiny model whose word-embedding rows are touched
    /// differently on each rank (some by both, some by one, most by none).
    private func gradient(table: ParameterTable, touched: [Int], seed: UInt64) -> FloatBuffer {
        let g = FloatBuffer(count: table.trainableCount)
        let key = RandomKey(seed: seed)
        if let word = table["embeddings.word_embeddings.weight"], word.trainable {
            let d = word.shape[1]
            for r in touched { for i in 0 ..< d { g[r * d + i] = key.uniform(UInt64(r * d + i)) - 0.5 } }
            for i in word.count ..< table.trainableCount { g[i] = key.uniform(UInt64(i)) - 0.5 }
        } else {
            for i in 0 ..< table.trainableCount { g[i] = key.uniform(UInt64(i)) - 0.5 }
        }
        return g
    }

    /// What one rank alone does with the summed gradient: AdamW over every trainable float.
    private func reference(table: ParameterTable, summed: [Float], initial: FloatBuffer, optimizer: AdamW,
                           maxNorm: Double) -> (params: [Float], m: [Float], v: [Float], norm: Double) {
        let params = FloatBuffer(count: initial.count)
        params.pointer.update(from: initial.pointer, count: initial.count)
        let g = FloatBuffer(count: table.trainableCount), m = FloatBuffer(count: g.count), v = FloatBuffer(count: g.count)
        let single = DataParallelUpdate(table: table, communicator: SingleProcessCommunicator())
        var norm = 0.0
        for step in 0 ..< 2 {
            for i in summed.indices { g[i] = summed[i] }
            norm = single.gradientNorm(g)
            single.update(optimizer, params: params, gradients: g, m: m, v: v, step: step, learningRate: 1e-2,
                          gradientScale: GradientClipping.scale(norm: norm, maxNorm: maxNorm))
        }
        return (params.toArray(), m.toArray(), v.toArray(), norm)
    }

    private func initialParameters(_ table: ParameterTable) -> FloatBuffer {
        let p = FloatBuffer(count: table.totalCount)
        for i in 0 ..< p.count { p[i] = RandomKey(seed: 9).uniform(UInt64(i)) - 0.5 }
        return p
    }

    /// Word rows as rows, the rest reduce-scattered in chunks of 64 floats: both ranks end with
    /// the parameters and moments one rank gets from AdamW on the summed gradient, bitwise.
    @Test(arguments: [(0.0, false), (1e-3, false), (0.0, true)])  // clipping off / every step; rows scanned / marked
    func shardedStepsEqualOneRankOnTheSummedGradient(maxNorm: Double, marked: Bool) {
        let table = ParameterTable.bertClassifier(config)
        let grads = [gradient(table: table, touched: [3, 7, 8, 49], seed: 1),
                     gradient(table: table, touched: [0, 7, 20], seed: 2)]
        let summed = (0 ..< table.trainableCount).map { grads[0][$0] + grads[1][$0] }
        let initial = initialParameters(table)
        let optimizer = AdamW(weightDecay: 0.01)
        let expected = reference(table: table, summed: summed, initial: initial, optimizer: optimizer, maxNorm: maxNorm)
        let ranks = Ranks(table: table, grads: grads, initial: initial, chunkElements: 64)
        if marked {
            // As backward marks them; rank 1 also marks row 11, whose gradient is zero (a
            // superset is harmless: the row is summed, still zero).
            ranks.marks = [[3, 7, 8, 49], [0, 7, 20, 11]].map { rows in
                let m = FloatBuffer(count: config.vocabSize)
                for r in rows { m[r] = 1 }
                return m
            }
        }
        ranks.run(optimizer: optimizer, maxNorm: maxNorm)
        for rank in 0 ..< 2 {
            // Rows 0, 3, 7, 8, 20, 49: the union (7 once, though both ranks touched it).
            #expect(ranks.updates[rank]?.lastRowCount == (marked ? 7 : 6))
            // The norm is summed in another order than one rank's; clipping turns that into at
            // most a last-bit difference, so with clipping on compare to a tolerance.
            #expect(abs(ranks.norms[rank] - expected.norm) <= 1e-12 * expected.norm)
            let trainable = 0 ..< table.trainableCount
            if maxNorm == 0 {
                #expect(Array(ranks.params[rank].toArray()[trainable]) == Array(expected.params[trainable]), "rank \(rank)")
                #expect(ranks.m[rank].toArray() == expected.m && ranks.v[rank].toArray() == expected.v, "rank \(rank)")
            } else {
                assertClose(Array(ranks.params[rank].toArray()[trainable]), Array(expected.params[trainable]), relativeTolerance: 1e-5)
            }
            // Frozen floats (none here) and the ranks agree exactly.
            #expect(ranks.params[rank].toArray() == ranks.params[0].toArray())
        }
        // Each rank really did only part of the work: ownership splits the buffer.
        let owned = (0 ..< 2).map { ranks.updates[$0]!.owned.reduce(0) { $0 + $1.count } }
        #expect(owned[0] + owned[1] == table.trainableCount && owned.allSatisfy { $0 < table.trainableCount })
    }

    /// LoRA-like layout (word embeddings frozen): one dense reduce-scatter, the same result.
    @Test func frozenWordEmbeddingsGoDensely() {
        let table = ParameterTable.bertClassifier(config) { !$0.hasPrefix("embeddings.") }
        let grads = [gradient(table: table, touched: [], seed: 1), gradient(table: table, touched: [], seed: 2)]
        let summed = (0 ..< table.trainableCount).map { grads[0][$0] + grads[1][$0] }
        let initial = initialParameters(table)
        let optimizer = AdamW(weightDecay: 0.01)
        let expected = reference(table: table, summed: summed, initial: initial, optimizer: optimizer, maxNorm: 0)
        let ranks = Ranks(table: table, grads: grads, initial: initial, chunkElements: 48)
        ranks.run(optimizer: optimizer, maxNorm: 0)
        for rank in 0 ..< 2 {
            #expect(ranks.updates[rank]?.lastRowCount == nil)
            #expect(ranks.params[rank].toArray() == ranks.params[0].toArray())
            #expect(Array(ranks.params[rank].toArray()[..<table.trainableCount]) == Array(expected.params[..<table.trainableCount]))
            #expect(ranks.m[rank].toArray() == expected.m && ranks.v[rank].toArray() == expected.v)
        }
    }

    /// bf16 gather (`MasterWeights`): each rank contributes the roundings of its own masters
    /// only, and both ranks end with every float's rounding, bitwise the same.
    @Test func bf16GatherDeliversEveryRanksRoundedMasters() {
        let table = ParameterTable.bertClassifier(config)
        let reference = initialParameters(table)
        let pair = ThreadRanks()
        let params = [FloatBuffer(count: table.totalCount), FloatBuffer(count: table.totalCount)]
        runRanks { rank in
            let update = DataParallelUpdate(table: table, communicator: ThreadRank(pair, rank: rank), chunkElements: 64)
            let masters = MasterWeights(trainableCount: table.trainableCount)
            masters.capture(from: params[rank])
            // Only the owned masters are current; the rest must not leak into the result.
            for i in 0 ..< table.trainableCount { masters.values[i] = Float(rank + 7) }
            for range in update.owned { for i in range { masters.values[i] = reference[i] } }
            masters.gather(into: params[rank], update: update)
        }
        let expected = (0 ..< table.trainableCount).map { reference[$0].roundedToBFloat16 }
        for rank in 0 ..< 2 { #expect(Array(params[rank].toArray()[..<table.trainableCount]) == expected) }
    }
}
