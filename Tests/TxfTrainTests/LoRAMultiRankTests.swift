import Foundation
import Testing
import TxfCore
import TxfModel
@testable import TxfEval
@testable import TxfStore
@testable import TxfTrain

/// LoRA runs of `txf-train` under `mpirun -n 2`: killed with SIGKILL and resumed, they match
/// the uninterrupted run bit for bit (adapter dropout masks are keyed like the encoder's).
@Suite(.serialized, .enabled(if: Job.mpirunAvailable, "mpirun not on PATH; install openmpi-bin"))
struct LoRAMultiRankTests {
    let fixture = TrainFixture.paths

    func flags(out: String) -> [String] {
        ["--train", fixture.train, "--eval", fixture.dev, "--out", out, "--init", LoRAFixture.base,
         "--mode", "lora", "--lora-rank", "4", "--lora-alpha", "8", "--lora-dropout", "0.1",
         "--lora-targets", "query,value,output", "--train-pooler",
         "--global-batch", "32", "--max-steps", "12", "--lr", "1e-2", "--warmup-steps", "2", "--dropout", "0.1",
         "--seed", "5", "--log-every", "1", "--save-every", "4", "--eval-every", "4", "--keep", "2"]
    }

    /// The trainable tensors and their moments of a LoRA checkpoint (all it stores).
    func trained(_ path: String) throws -> [Float] {
        let file = try ModelArchive(path: path, expecting: .checkpoint)
        let (table, parameters) = try Merge.loraParameters(file)
        let m = FloatBuffer(count: table.trainableCount), v = FloatBuffer(count: table.trainableCount)
        let p = FloatBuffer(count: table.totalCount)
        try file.load(table: table, parameters: p.pointer, m: m.pointer, v: v.pointer)
        return Array(parameters.buffer.prefix(table.trainableCount)) + m.toArray() + v.toArray()
    }

    // Kill both ranks with SIGKILL once the step-4 checkpoint is on disk (checkpoints every 4
    // steps, keep 2; 12 is the last step, written as final.h5 only): the kill lands at step 4 or
    // later (a LoRA step here takes milliseconds), so --resume auto starts from 4 or 8.
    @Test func killedAndResumedLoRARunMatchesUninterruptedRun() throws {
        let straight = TrainFixture.runDirectory("lora-mpi-straight")
        let first = try Job.train(ranks: 2, flags(out: straight))
        #expect(first.status == 0 && !first.timedOut, "\(first.stderr)")
        let resumed = TrainFixture.runDirectory("lora-mpi-resumed")
        let killed = try Job.train(ranks: 2, flags(out: resumed),
                                   killWhen: { FileManager.default.fileExists(atPath: resumed + "/step-00000004.h5") })
        #expect(killed.killed && killed.status != 0, "the run ended before the kill: \(killed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: resumed + "/final.h5"))
        let from = try #require(RunDirectory(path: resumed).stepCheckpoints().last?.step)
        #expect(from == 4 || from == 8)
        #expect((from ... 12).contains(trainLosses(resumed + "/metrics.jsonl").last?.step ?? 0))
        let again = try Job.train(ranks: 2, flags(out: resumed) + ["--resume", "auto"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("resuming from \(resumed)/step-\(String(format: "%08d", from)).h5 at step \(from)/12"))
        let a = trainLosses(straight + "/metrics.jsonl"), b = trainLosses(resumed + "/metrics.jsonl")
        #expect(a.count == 12 && a.map(\.step) == b.map(\.step) && a.map(\.loss) == b.map(\.loss))
        #expect(try trained(straight + "/final.h5") == trained(resumed + "/final.h5"))
        // The pooler was trained (--train-pooler) and so is stored; the encoder is not.
        let meta = try ModelArchive(path: straight + "/final.h5", expecting: .checkpoint).meta
        #expect(meta.lora?.config.trainPooler == true && meta.lora?.config.targets == [.query, .value, .output])
    }
}
