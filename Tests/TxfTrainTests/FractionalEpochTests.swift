import Foundation
import Testing
import TxfCore
import TxfData
import TxfDist
@testable import TxfTrain

/// `--epochs 0.5`: the run takes ⌈0.5 × steps per epoch⌉ steps, the progress epoch ends at the
/// fraction, and a resume checks the schedule against the same total.
@Suite struct FractionalEpochTests {
    @Test func halfAnEpochTrainsAndResumesConsistently() throws {
        let stepsPerEpoch = try TokenDataset(path: TrainFixture.paths.train).rowCount / 16
        let expected = (stepsPerEpoch + 1) / 2
        let out = TrainFixture.runDirectory("half-epoch")
        var c = TrainFixture.oneLayerConfig(out: out, steps: 1)
        c.maxSteps = nil; c.epochs = 0.5; c.eval = nil; c.saveEvery = 2
        do {  // a Trainer holds the run lock until it goes
            let (trainer, events) = try TrainFixture.trainAlone(c)
            #expect(trainer.schedule.totalSteps == expected)
            let last = try #require(events.compactMap { event -> TrainRecord? in
                if case .train(let r) = event { return r } else { return nil }
            }.last)
            #expect(last.step == expected && last.totalSteps == expected)
            #expect(abs(last.epoch - Double(expected) / Double(stepsPerEpoch)) < 1e-12)
        }
        var resume = c
        resume.resume = RunDirectory(path: out).stepPath(2)
        #expect(try Trainer(config: resume, communicator: SingleProcessCommunicator()).step == 2)
        resume.epochs = 1
        do {
            _ = try Trainer(config: resume, communicator: SingleProcessCommunicator())
            Issue.record("a resume with another --epochs was accepted")
        } catch {
            #expect(String(describing: error).contains("steps in all \(expected) (--epochs 0.5), now \(stepsPerEpoch) (--epochs 1)"), "\(error)")
        }
    }
}
