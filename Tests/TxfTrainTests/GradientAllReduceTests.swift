import Foundation
import Testing
import TxfCore
import TxfDist
import TxfModel
@testable import TxfTrain

/// Two ranks as two threads of one process: `allReduceSum` on Floats really sums the two
/// ranks' buffers (each rank posts its pointer, both wait, each adds the other's values in
/// rank order, both wait again), so a collective called with different row sets or sizes on
/// the two ranks would show up as a wrong sum or a crash. Other collectives are not needed.
private final class ThreadPair: @unchecked Sendable {
    let lock = NSCondition()
    var posted: [UnsafeMutableBufferPointer<Float>?] = [nil, nil]
    var arrived = 0, generation = 0

    /// Waits until both ranks have arrived (a reusable barrier).
    func wait() {
        lock.lock()
        let g = generation
        arrived += 1
        if arrived == 2 {
            arrived = 0
            generation += 1
            lock.broadcast()
        } else {
            while generation == g { lock.wait() }
        }
        lock.unlock()
    }

    func sum(_ buffer: UnsafeMutableBufferPointer<Float>, rank: Int) {
        lock.lock(); posted[rank] = buffer; lock.unlock()
        wait()
        let other = posted[1 - rank]!
        precondition(other.count == buffer.count, "ranks called the all-reduce with different sizes")
        let sums = (0 ..< buffer.count).map { i in rank == 0 ? buffer[i] + other[i] : other[i] + buffer[i] }
        wait()
        for i in 0 ..< buffer.count { buffer[i] = sums[i] }
        wait()
    }
}

private final class ThreadRank: Communicator, @unchecked Sendable {
    let pair: ThreadPair
    let rank: Int
    let worldSize = 2
    let localRankCount = 2
    init(_ pair: ThreadPair, rank: Int) { self.pair = pair; self.rank = rank }
    func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) { pair.sum(buffer, rank: rank) }
    func startAllReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) -> AllReduceRequest { fatalError("unused") }
    func allReduceSum(_ values: inout [Double]) { fatalError("unused") }
    func allReduceSum(_ values: inout [Int64]) { fatalError("unused") }
    func allReduceMax(_ values: inout [Double]) { fatalError("unused") }
    func broadcast(_ bytes: inout [UInt8], root: Int) { fatalError("unused") }
    func allGather(_ bytes: [UInt8]) -> [[UInt8]] { fatalError("unused") }
    func barrier() { pair.wait() }
    func abort(_ message: String) -> Never { fatalError(message) }
}

/// Runs `body(rank)` for ranks 0 and 1 on two threads at once (never one after the other:
/// the collectives wait for both), and returns when both are done.
private func runTwoRanks(_ body: @escaping @Sendable (Int) -> Void) {
    let done = DispatchSemaphore(value: 0)
    let other = Thread { body(1); done.signal() }
    other.start()
    body(0)
    done.wait()
}

/// The reducers and gradients of both ranks, shared with the rank threads.
private final class Ranks: @unchecked Sendable {
    let reducers: [GradientAllReduce]
    let grads: [FloatBuffer]
    let pair = ThreadPair()
    init(table: ParameterTable, grads: [FloatBuffer]) {
        reducers = [GradientAllReduce(table: table), GradientAllReduce(table: table)]
        self.grads = grads
    }
    func run() {
        runTwoRanks { rank in self.reducers[rank](self.grads[rank], communicator: ThreadRank(self.pair, rank: rank)) }
    }
}

@Suite struct GradientAllReduceTests {
    /// A gradient in the layout of a tiny model whose word-embedding rows are touched
    /// differently on each rank (some by both, some by one, most by none).
    private func gradient(table: ParameterTable, touched: [Int], seed: UInt64) -> FloatBuffer {
        let g = FloatBuffer(count: table.trainableCount)
        let key = RandomKey(seed: seed)
        let word = table.info("embeddings.word_embeddings.weight")
        let d = word.shape[1]
        for r in touched { for i in 0 ..< d { g[r * d + i] = key.uniform(UInt64(r * d + i)) - 0.5 } }
        for i in word.count ..< table.trainableCount { g[i] = key.uniform(UInt64(i)) - 0.5 }
        return g
    }

    @Test func sparseRowsGiveTheDenseSumOnBothRanks() {
        let config = ModelConfig(vocabSize: 50, hiddenSize: 8, numHiddenLayers: 1, numAttentionHeads: 2,
                                 intermediateSize: 16, maxPositionEmbeddings: 8, numLabels: 2)
        let table = ParameterTable.bertClassifier(config)
        let grads = [gradient(table: table, touched: [3, 7, 8, 49], seed: 1),
                     gradient(table: table, touched: [0, 7, 20], seed: 2)]
        let expected = (0 ..< table.trainableCount).map { grads[0][$0] + grads[1][$0] }
        let ranks = Ranks(table: table, grads: grads)
        ranks.run()
        for rank in 0 ..< 2 {
            // Rows 0, 3, 7, 8, 20, 49: the union (7 once, though both ranks touched it).
            #expect(ranks.reducers[rank].lastRowCount == 6)
            #expect(grads[rank].toArray() == expected, "rank \(rank)")
        }
    }

    @Test func frozenWordEmbeddingsFallBackToOneDenseSum() {
        let config = ModelConfig(vocabSize: 50, hiddenSize: 8, numHiddenLayers: 1, numAttentionHeads: 2,
                                 intermediateSize: 16, maxPositionEmbeddings: 8, numLabels: 2)
        let table = ParameterTable.bertClassifier(config) { !$0.hasPrefix("embeddings.") }
        let grads = (1 ... 2).map { seed -> FloatBuffer in
            let g = FloatBuffer(count: table.trainableCount)
            for i in 0 ..< g.count { g[i] = RandomKey(seed: UInt64(seed)).uniform(UInt64(i)) }
            return g
        }
        let expected = (0 ..< table.trainableCount).map { grads[0][$0] + grads[1][$0] }
        let ranks = Ranks(table: table, grads: grads)
        ranks.run()
        #expect(ranks.reducers[0].lastRowCount == nil)
        #expect(grads[0].toArray() == expected && grads[1].toArray() == expected)
    }
}
