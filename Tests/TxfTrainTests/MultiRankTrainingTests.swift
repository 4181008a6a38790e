import Foundation
import Testing
import TxfCore
import TxfHDF5
import TxfModel
@testable import TxfEval
@testable import TxfStore
@testable import TxfTrain

/// Real runs of `txf-train` under mpirun on the tiny fixture task: the same optimizer steps
/// whatever the split across ranks and micro-steps, bitwise resumption after SIGKILL, and one
/// clear line for bad input.
@Suite(.serialized, .enabled(if: Job.mpirunAvailable, "mpirun not on PATH; install openmpi-bin"))
struct MultiRankTrainingTests {
    let fixture = TrainFixture.paths

    func flags(out: String, steps: Int = 20) -> [String] {
        ["--train", fixture.train, "--out", out] + TrainFixture.modelFlags
            + ["--global-batch", "32", "--max-steps", "\(steps)", "--lr", "3e-3", "--warmup-steps", "2",
               "--dropout", "0.1", "--seed", "5", "--log-every", "1"]
    }

    func expectSuccess(_ job: Job, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(job.status == 0 && !job.timedOut, "txf-train failed (\(job.status)): \(job.stderr)", sourceLocation: sourceLocation)
    }

    // 20 steps of 32 samples over a 256-row set (2.5 epochs, so epoch changes are crossed),
    // dropout on. The samples, masks and mathematics of each step are the same in all three
    // splits; only the order of float sums differs (gradients summed over 1, 2 or 4 ranks and
    // 1 or 4 micro-steps), which Adam's normalisation can amplify a little. Relative 1e-5.
    @Test func sameLossesWhateverTheSplit() throws {
        var runs: [[Double]] = []
        for (ranks, micro) in [(1, 8), (4, 8), (2, 4)] {
            let out = TrainFixture.runDirectory("split-\(ranks)x\(micro)")
            let job = try Job.train(ranks: ranks, flags(out: out) + ["--micro-batch", "\(micro)"])
            expectSuccess(job)
            let losses = trainLosses(out + "/metrics.jsonl")
            #expect(losses.map(\.step) == Array(1...20), "\(ranks) ranks × micro \(micro)")
            runs.append(losses.compactMap { Double($0.loss) })
        }
        #expect(runs[0].count == 20)
        // The model learns the task: the mean loss of the last 5 steps is below the first 5.
        #expect(runs[0].suffix(5).reduce(0, +) < runs[0].prefix(5).reduce(0, +))
        assertClose(runs[1], runs[0], relativeTolerance: 1e-5, "4 ranks × micro-batch 8 vs 1 rank × 8 × 4 accumulation")
        assertClose(runs[2], runs[0], relativeTolerance: 1e-5, "2 ranks × micro-batch 4 × 4 accumulation vs 1 rank")
    }

    // Masked-LM pre-training under mpirun: the picks are keyed by step and sample, so 1 rank and
    // 2 ranks × 2 micro-steps take the same steps (the per-token loss and its gradient rescale
    // use all ranks' picks) and evaluate the same dev picks.
    @Test func maskedLMTakesTheSameStepsOnAnyRanks() throws {
        var runs: [[Double]] = [], evals: [String] = []
        for (ranks, micro) in [(1, 32), (2, 8)] {
            let out = TrainFixture.runDirectory("mlm-\(ranks)x\(micro)")
            let job = try Job.train(ranks: ranks, flags(out: out, steps: 10)
                + ["--objective", "masked-lm", "--micro-batch", "\(micro)", "--eval", fixture.dev])
            expectSuccess(job)
            #expect(job.stdout.contains("masked accuracy"))
            runs.append(trainLosses(out + "/metrics.jsonl").compactMap { Double($0.loss) })
            let text = (try? String(contentsOfFile: out + "/metrics.jsonl", encoding: .utf8)) ?? ""
            evals.append(text.split(separator: "\n").first { $0.contains(#""event":"eval""#) }.map(String.init) ?? "")
        }
        #expect(runs[0].count == 10 && runs[0].last! < runs[0].first!)
        assertClose(runs[1], runs[0], relativeTolerance: 1e-5, "2 ranks × micro-batch 8 × 2 accumulation vs 1 rank")
        func picks(_ line: String) -> String? { jsonField(line, "predicted_tokens") }
        #expect(picks(evals[0]) != nil && picks(evals[0]) == picks(evals[1]))
    }

    // Kill both ranks with SIGKILL once the step-10 checkpoint is on disk (checkpoints every 5
    // steps, keep 2): the kill lands at step 10 or a little later, so --resume auto starts from
    // the newest checkpoint, 10 or 15. The steps after it are taken again and must reproduce the
    // uninterrupted run bit for bit — losses as written, evaluations, final parameters and moments.
    @Test func killedAndResumedRunMatchesUninterruptedRun() throws {
        let extra = ["--eval", fixture.dev, "--save-every", "5", "--eval-every", "5", "--keep", "2"]
        let straight = TrainFixture.runDirectory("straight")
        expectSuccess(try Job.train(ranks: 2, flags(out: straight) + extra))

        let resumed = TrainFixture.runDirectory("resumed")
        let killed = try Job.train(ranks: 2, flags(out: resumed) + extra,
                                   killWhen: { FileManager.default.fileExists(atPath: resumed + "/step-00000010.h5") })
        #expect(killed.killed && killed.status != 0, "the run ended before the kill: \(killed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: resumed + "/final.h5"))
        let from = try #require(RunDirectory(path: resumed).stepCheckpoints().last?.step)
        #expect(from == 10 || from == 15)
        #expect((from ... 20).contains(trainLosses(resumed + "/metrics.jsonl").last?.step ?? 0))
        let again = try Job.train(ranks: 2, flags(out: resumed) + extra + ["--resume", "auto"])
        expectSuccess(again)
        #expect(again.stdout.contains("resuming from \(resumed)/step-\(String(format: "%08d", from)).h5 at step \(from)/20"))

        let a = trainLosses(straight + "/metrics.jsonl"), b = trainLosses(resumed + "/metrics.jsonl")
        #expect(a.map(\.step) == Array(1...20) && b.map(\.step) == Array(1...20))
        #expect(a.map(\.loss) == b.map(\.loss))
        func evals(_ dir: String) -> [String] {
            ((try? String(contentsOfFile: dir + "/metrics.jsonl", encoding: .utf8)) ?? "")
                .split(separator: "\n").filter { $0.contains(#""event":"eval""#) }.map(String.init)
        }
        #expect(evals(straight).count == 4 && evals(straight) == evals(resumed))
        #expect(try checkpointState(straight + "/final.h5") == checkpointState(resumed + "/final.h5"))
        // --keep 2: the two newest step checkpoints remain.
        #expect(RunDirectory(path: resumed).stepCheckpoints().map(\.step) == [10, 15])

        // Another world size continues the same sample order from a checkpoint path: one rank
        // takes steps 16-20 as the two did, up to the order of float sums.
        let elsewhere = TrainFixture.runDirectory("one-rank")
        let oneRank = try Job.train(ranks: 1, flags(out: elsewhere) + extra + ["--resume", straight + "/step-00000015.h5"])
        expectSuccess(oneRank)
        let c = trainLosses(elsewhere + "/metrics.jsonl")
        #expect(c.map(\.step) == Array(16...20))
        assertClose(c.compactMap { Double($0.loss) }, a.suffix(5).compactMap { Double($0.loss) }, relativeTolerance: 1e-5)
    }

    struct BadInput: CustomTestStringConvertible, Sendable {
        let name: String
        let arguments: @Sendable (TrainFixture.Paths, String) throws -> [String]
        let message: String
        var testDescription: String { name }
    }

    static let badInputs: [BadInput] = [
        BadInput(name: "missing dataset", arguments: { f, out in ["--train", f.directory + "/nope.h5", "--out", out] },
                 message: "nope.h5: no such file"),
        BadInput(name: "HDF5 file of another schema", arguments: { f, out in
            let path = f.directory + "/not-a-dataset.h5"
            let file = try H5File.create(path)
            try file.writeDataset("tokens", [Int32(1), 2, 3]).close()
            try file.close()
            return ["--train", path, "--out", out]
        }, message: "is not a txf dataset"),
        BadInput(name: "vocab that does not match the data", arguments: { f, out in
            ["--train", f.train, "--vocab", f.otherVocab, "--out", out]
        }, message: "vocab does not match the dataset"),
        BadInput(name: "NaN loss", arguments: { f, out in ["--train", f.train, "--lr", "1e30", "--out", out] },
                 message: "training diverged at step"),
    ]

    // Every rank ends, quickly, with exactly one line on stderr from txf-train, and the run
    // directory holds no checkpoint or temporary file.
    @Test(arguments: badInputs)
    func badInputEndsEveryRankWithOneMessage(_ bad: BadInput) throws {
        let out = TrainFixture.runDirectory("bad")
        let arguments = try bad.arguments(fixture, out) + TrainFixture.modelFlags + ["--global-batch", "16", "--max-steps", "5"]
        let job = try Job.train(ranks: 2, arguments, timeout: 60)
        #expect(job.status != 0 && !job.timedOut)
        #expect(job.seconds < 30)
        #expect(job.stderrCount("txf-train: ") == 1, "stderr: \(job.stderr)")
        #expect(job.stderrCount(bad.message) == 1, "stderr: \(job.stderr)")
        let left = (try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []
        #expect(left.allSatisfy { !$0.hasSuffix(".h5") && !$0.contains(".tmp") }, "left behind: \(left)")
    }
}
