import Testing
import TxfCore
import TxfData
import TxfHDF5
@testable import TxfTrain

/// The trainer's read-ahead hands each step exactly the micro-batches a direct read of the
/// epoch's plan gives, across an epoch boundary, whichever thread read them.
@Suite struct StepReaderTests {
    @Test(arguments: [(false, true), (true, true), (true, false)])
    func readAheadEqualsDirectReads(groupByLength: Bool, background: Bool) throws {
        let path = TrainFixture.paths.train
        let layout = try BatchLayout(globalBatch: 32, worldSize: 2, microBatch: 8)
        let direct = try TokenDataset(path: path)
        let stepsPerEpoch = direct.rowCount / layout.globalBatch
        let lengths = direct.lengths.map(Int.init)
        for rank in 0 ..< 2 {
            let reader = StepReader(dataset: try TokenDataset(path: path), layout: layout, rank: rank, seed: 7,
                                    stepsPerEpoch: stepsPerEpoch, groupByLength: groupByLength,
                                    lengthGroupBatches: EpochPlan.defaultLengthGroupBatches, background: background)
            #expect(reader.background == background)
            for step in 0 ..< stepsPerEpoch + 3 {
                let taken = try reader.take(step: step).micro
                let cursor = DataCursor(step: step, stepsPerEpoch: stepsPerEpoch)
                let plan = EpochPlan(rowCount: direct.rowCount, seed: 7, epoch: cursor.epoch, globalBatch: 32,
                                     lengths: lengths, groupByLength: groupByLength)
                for micro in 0 ..< layout.accumulation {
                    let (rows, positions) = plan.rows(step: cursor.stepInEpoch, rank: rank, microStep: micro, layout: layout)
                    var expected = MicroBatch()
                    try direct.readRows(rows, into: &expected, sampleIndices: positions)
                    #expect(taken[micro] == expected, "rank \(rank), step \(step), micro-step \(micro)")
                }
            }
            reader.stop()
        }
    }

    @Test func debianHDF5IsAThreadSafeBuild() {
        // The reads run on a second thread only in a thread-safe build; Debian's is one.
        #expect(hdf5IsThreadSafe)
    }
}
