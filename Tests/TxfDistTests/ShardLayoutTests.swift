import Testing
@testable import TxfDist

@Suite struct ShardLayoutTests {
    /// Every float has exactly one owner, pieces are whole multiples of 16 but each chunk's
    /// last, and the chunks tile the buffer.
    @Test(arguments: [(0, 2, 64), (10, 2, 64), (1000, 2, 64), (1000, 3, 64), (4096, 4, 256), (100_003, 5, 1 << 12)])
    func everyFloatHasOneOwner(count: Int, world: Int, chunk: Int) {
        let layout = ShardLayout(count: count, worldSize: world, chunkElements: chunk)
        var owner = [Int](repeating: -1, count: count)
        for rank in 0 ..< world {
            for range in layout.ownedRanges(rank: rank) {
                for i in range {
                    #expect(owner[i] == -1, "float \(i) owned twice")
                    owner[i] = rank
                }
            }
        }
        #expect(!owner.contains(-1))
        var next = 0
        for index in 0 ..< layout.chunkCount {
            let (start, counts, offsets) = layout.chunk(index)
            #expect(start == next)
            for r in 0 ..< world {
                #expect(Int(offsets[r]) == counts[..<r].reduce(0) { $0 + Int($1) })
                if r < world - 1 { #expect(counts[r] % 16 == 0) }
            }
            next += counts.reduce(0) { $0 + Int($1) }
        }
        #expect(next == count)
    }

    /// Hand-computed: 100 floats, 2 ranks, chunks of 64: [0, 32) r0, [32, 64) r1, then the
    /// 36-float tail as 16 + 20.
    @Test func handComputedSplit() {
        let layout = ShardLayout(count: 100, worldSize: 2, chunkElements: 64)
        #expect(layout.chunkCount == 2)
        #expect(layout.ownedRanges(rank: 0) == [0 ..< 32, 64 ..< 80])
        #expect(layout.ownedRanges(rank: 1) == [32 ..< 64, 80 ..< 100])
    }
}
