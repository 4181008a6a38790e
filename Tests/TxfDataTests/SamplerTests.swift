import Testing
import TxfData

@Suite struct SamplerTests {
    let lengths = (0..<1000).map { ($0 * 7919) % 61 + 3 }

    @Test func layoutRejectsIndivisibleGlobalBatch() {
        #expect(throws: (any Error).self) { try BatchLayout(globalBatch: 30, worldSize: 4, microBatch: 4) }
        #expect(throws: (any Error).self) { try BatchLayout(globalBatch: 0, worldSize: 1, microBatch: 1) }
        #expect((try? BatchLayout(globalBatch: 32, worldSize: 4, microBatch: 2))?.accumulation == 4)
    }

    /// Hand-computed: G 12, W 2, M 3 (A 2). Micro-step 0 deals positions 0–5, micro-step 1
    /// positions 6–11, alternately to rank 0 and rank 1.
    @Test func ranksAreDealtAlternatePositions() throws {
        let layout = try BatchLayout(globalBatch: 12, worldSize: 2, microBatch: 3)
        #expect(Array(layout.positions(rank: 0, microStep: 0)) == [0, 2, 4])
        #expect(Array(layout.positions(rank: 1, microStep: 0)) == [1, 3, 5])
        #expect(Array(layout.positions(rank: 0, microStep: 1)) == [6, 8, 10])
        #expect(Array(layout.positions(rank: 1, microStep: 1)) == [7, 9, 11])
    }

    @Test func slotsTileTheGlobalBatchExactlyOnce() throws {
        let layout = try BatchLayout(globalBatch: 24, worldSize: 3, microBatch: 2)
        var seen = [Int]()
        for micro in 0..<layout.accumulation {
            for rank in 0..<layout.worldSize { seen += layout.positions(rank: rank, microStep: micro) }
        }
        #expect(seen.sorted() == Array(0..<24))
    }

    @Test(arguments: [false, true])
    func epochUsesEachRowAtMostOnceAndDropsOnlyTheTail(group: Bool) {
        let plan = EpochPlan(rowCount: 1000, seed: 7, epoch: 3, globalBatch: 32,
                             lengths: group ? lengths : nil, groupByLength: group)
        #expect(plan.steps == 1000 / 32)
        #expect(plan.order.count == 31 * 32)
        #expect(Set(plan.order).count == plan.order.count)
        #expect(plan.order.allSatisfy { (0..<1000).contains($0) })
    }

    @Test(arguments: [false, true])
    func ranksTogetherCoverTheEpochWithoutDuplicates(group: Bool) throws {
        let plan = EpochPlan(rowCount: 1000, seed: 11, epoch: 0, globalBatch: 32, lengths: lengths, groupByLength: group)
        for world in [1, 2, 4] {
            let layout = try BatchLayout(globalBatch: 32, worldSize: world, microBatch: 4)
            var union = [Int]()
            for step in 0..<plan.steps {
                var batch = [Int]()
                for rank in 0..<world {
                    for micro in 0..<layout.accumulation {
                        batch += plan.rows(step: step, rank: rank, microStep: micro, layout: layout).rows
                    }
                }
                // The rows of each global batch do not depend on the world size.
                #expect(batch.sorted() == plan.rows(step: step).sorted())
                union += batch
            }
            #expect(union.sorted() == plan.order.sorted())
            #expect(Set(union).count == union.count)
        }
    }

    @Test func samePositionSameRowWhateverTheSplit() throws {
        let plan = EpochPlan(rowCount: 500, seed: 5, epoch: 1, globalBatch: 16, lengths: lengths.prefix(500).map { $0 })
        for (world, micro) in [(1, 16), (2, 4), (4, 1), (4, 4)] {
            let layout = try BatchLayout(globalBatch: 16, worldSize: world, microBatch: micro)
            for step in 0..<plan.steps {
                for rank in 0..<world {
                    for a in 0..<layout.accumulation {
                        let slice = plan.rows(step: step, rank: rank, microStep: a, layout: layout)
                        for (row, position) in zip(slice.rows, slice.positions) {
                            #expect(plan.rows(step: step)[plan.rows(step: step).startIndex + position] == row)
                        }
                    }
                }
            }
        }
    }

    @Test func epochsAndSeedsGiveDifferentOrdersAndTheSameSeedTheSame() {
        let a = EpochPlan(rowCount: 300, seed: 1, epoch: 0, globalBatch: 10)
        #expect(a.order == EpochPlan(rowCount: 300, seed: 1, epoch: 0, globalBatch: 10).order)
        #expect(a.order != EpochPlan(rowCount: 300, seed: 1, epoch: 1, globalBatch: 10).order)
        #expect(a.order != EpochPlan(rowCount: 300, seed: 2, epoch: 0, globalBatch: 10).order)
    }

    @Test func groupingPutsSimilarLengthsTogether() {
        let plain = EpochPlan(rowCount: 1000, seed: 3, epoch: 0, globalBatch: 8, lengths: lengths)
        let grouped = EpochPlan(rowCount: 1000, seed: 3, epoch: 0, globalBatch: 8, lengths: lengths, groupByLength: true)
        func paddedTokens(_ plan: EpochPlan) -> Int {
            (0..<plan.steps).reduce(0) { sum, step in sum + 8 * plan.rows(step: step).map { lengths[$0] }.max()! }
        }
        // Grouping must cut padding substantially on a spread of lengths 3...63.
        #expect(Double(paddedTokens(grouped)) < 0.8 * Double(paddedTokens(plain)))
        // Inside a batch, longest first.
        let batch = grouped.rows(step: 0).map { lengths[$0] }
        #expect(batch == batch.sorted(by: >))
    }

    /// Each mega-batch of k global batches holds exactly the rows of the matching k·G-row slice
    /// of the ungrouped order (grouping only sorts within it); k = 1 keeps every random batch's
    /// rows, and padding shrinks as k grows.
    @Test func lengthGroupBatchesBoundWhereRowsMayMove() {
        let g = 8
        let plain = EpochPlan(rowCount: 1000, seed: 3, epoch: 0, globalBatch: g, lengths: lengths)
        func paddedTokens(_ plan: EpochPlan) -> Int {
            (0..<plan.steps).reduce(0) { sum, step in sum + g * plan.rows(step: step).map { lengths[$0] }.max()! }
        }
        var padded: [Int] = []
        for k in [1, 5, 25] {
            let grouped = EpochPlan(rowCount: 1000, seed: 3, epoch: 0, globalBatch: g, lengths: lengths,
                                    groupByLength: true, lengthGroupBatches: k)
            // Which mega-batch each row of the grouped order sits in, against the ungrouped one.
            var megaOfRow = [Int: Int]()
            for (i, row) in plain.order.enumerated() { megaOfRow[row] = i / (k * g) }
            var batchesOfMega = [Int: Set<Int>]()
            for step in 0..<grouped.steps {
                let megas = Set(grouped.rows(step: step).map { megaOfRow[$0]! })
                #expect(megas.count == 1, "global batch \(step) mixes mega-batches \(megas) with k = \(k)")
                batchesOfMega[megas.first!, default: []].insert(step)
            }
            #expect(batchesOfMega.values.allSatisfy { $0.count == k } || plain.steps % k != 0)
            if k == 1 {
                let plainBatches = Set((0..<plain.steps).map { Set(plain.rows(step: $0)) })
                #expect(Set((0..<grouped.steps).map { Set(grouped.rows(step: $0)) }) == plainBatches)
            }
            padded.append(paddedTokens(grouped))
        }
        #expect(padded[0] == paddedTokens(plain))
        #expect(padded[1] < padded[0] && padded[2] < padded[1])
    }

    @Test func cursorSplitsTheGlobalStep() {
        #expect(DataCursor(step: 0, stepsPerEpoch: 10) == DataCursor(step: 0, stepsPerEpoch: 10))
        let c = DataCursor(step: 23, stepsPerEpoch: 10)
        #expect(c.epoch == 2 && c.stepInEpoch == 3)
    }
}
