import Foundation
import Testing

/// bf16 training through the reference products (`--precision bf16-reference`: inputs rounded
/// to bf16, fp32 sgemm), which compute what the oneDNN bf16 engine computes up to summation
/// order, so these run on every CPU: the split across ranks and micro-steps changes only
/// summation order, a resumed run repeats the uninterrupted one bit for bit, and a bf16
/// checkpoint continues in fp32.
@Suite(.serialized, .enabled(if: Job.mpirunAvailable, "mpirun not on PATH; install openmpi-bin"))
struct BF16TrainingTests {
    let fixture = TrainFixture.paths

    func flags(out: String, steps: Int = 20, precision: String = "bf16-reference") -> [String] {
        ["--train", fixture.train, "--out", out] + TrainFixture.modelFlags
            + ["--global-batch", "32", "--max-steps", "\(steps)", "--lr", "3e-3", "--warmup-steps", "2",
               "--dropout", "0.1", "--seed", "5", "--log-every", "1", "--precision", precision]
    }

    func losses(_ out: String) -> [Double] { trainLosses(out + "/metrics.jsonl").compactMap { Double($0.loss) } }

    // 1 × 8 × 4, 4 × 8 × 1 and 2 × 4 × 4 over 20 steps: the same samples and masks; a
    // different summation order moves a bf16-rounded input across a rounding boundary now and
    // then, so the bound is the 1e-3 relative rather than fp32's 1e-5.
    @Test func sameLossesWhateverTheSplit() throws {
        var runs: [[Double]] = []
        for (ranks, micro) in [(1, 8), (4, 8), (2, 4)] {
            let out = TrainFixture.runDirectory("bf16-split-\(ranks)x\(micro)")
            let job = try Job.train(ranks: ranks, flags(out: out) + ["--micro-batch", "\(micro)"])
            #expect(job.status == 0, "\(job.stderr)")
            #expect(job.stdout.contains("precision: bf16-reference"))
            runs.append(losses(out))
        }
        #expect(runs[0].count == 20 && runs[0].suffix(5).reduce(0, +) < runs[0].prefix(5).reduce(0, +))
        assertClose(runs[1], runs[0], relativeTolerance: 1e-3, "4 ranks × micro-batch 8 vs 1 rank × 8 × 4 accumulation")
        assertClose(runs[2], runs[0], relativeTolerance: 1e-3, "2 ranks × micro-batch 4 × 4 accumulation vs 1 rank")

        // The rounding is real: fp32 takes other steps, though close ones.
        let fp32 = TrainFixture.runDirectory("bf16-split-fp32")
        #expect(try Job.train(ranks: 1, flags(out: fp32, precision: "fp32") + ["--micro-batch", "8"]).status == 0)
        #expect(losses(fp32) != runs[0])
        assertClose(runs[0], losses(fp32), relativeTolerance: 0.05, "bf16 reference vs fp32")
    }

    @Test func resumedRunIsBitwiseTheUninterruptedOneAndContinuesInFP32() throws {
        let straight = TrainFixture.runDirectory("bf16-straight")
        #expect(try Job.train(ranks: 2, flags(out: straight, steps: 12) + ["--save-every", "4"]).status == 0)
        let resumed = TrainFixture.runDirectory("bf16-resumed")
        let again = try Job.train(ranks: 2, flags(out: resumed, steps: 12) + ["--resume", straight + "/step-00000008.h5"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(losses(resumed) == Array(losses(straight).suffix(4)))
        #expect(try checkpointState(resumed + "/final.h5") == checkpointState(straight + "/final.h5"))

        let fp32 = TrainFixture.runDirectory("bf16-then-fp32")
        let continued = try Job.train(ranks: 2, flags(out: fp32, steps: 12, precision: "fp32") + ["--resume", straight + "/step-00000008.h5"])
        #expect(continued.status == 0 && continued.stdout.contains("precision: fp32"), "\(continued.stderr)")
        #expect(losses(fp32).count == 4)
    }
}
