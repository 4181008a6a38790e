import Foundation
import Testing
import TxfCore
@testable import TxfTrain

/// SIGTERM and SIGINT on a rank or on mpirun: every rank finishes its step, rank 0 writes a step
/// checkpoint and says where, every rank exits 128 + the signal, and `--resume auto` continues
/// bit for bit; a second signal ends the process at once.
@Suite(.serialized, .enabled(if: Job.mpirunAvailable, "mpirun not on PATH; install openmpi-bin"))
struct SignalTests {
    let fixture = TrainFixture.paths
    static let steps = 40

    func flags(out: String) -> [String] {
        ["--train", fixture.train, "--out", out] + TrainFixture.modelFlags
            + ["--global-batch", "32", "--max-steps", "\(SignalTests.steps)", "--lr", "3e-3", "--warmup-steps", "2",
               "--dropout", "0.1", "--seed", "5", "--log-every", "1", "--save-every", "10", "--keep", "3"]
    }

    /// Runs txf-train on 2 ranks and, once step 3 is logged, sends `signals` to the process
    /// `target` names (looked up then), one after the other.
    func signalled(out: String, _ signals: [Int32], to target: @escaping (String) -> pid_t?) throws -> Job {
        var sent = false
        return try Job.train(ranks: 2, flags(out: out), timeout: 60, killWhen: {
            if !sent, RunProcesses.loggedStep(out: out) >= 3, let pid = target(out) {
                for number in signals { kill(pid, number) }
                sent = true
            }
            return false
        })
    }

    /// The step of the stop line, checked against the checkpoint it names.
    func stoppedStep(_ job: Job, by name: String, out: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Int {
        #expect(job.stderrCount("txf-train: stopped by \(name) after step ") == 1, "stderr: \(job.stderr)", sourceLocation: sourceLocation)
        let line = try #require(job.stderr.split(separator: "\n").first { $0.contains("stopped by") }, sourceLocation: sourceLocation)
        let step = try #require(Int(line.split(separator: " ")[5].dropLast()), "\(line)", sourceLocation: sourceLocation)
        let checkpoint = RunDirectory(path: out).stepPath(step)
        #expect(line == "txf-train: stopped by \(name) after step \(step); checkpoint \(checkpoint); resume with --resume auto",
                sourceLocation: sourceLocation)
        #expect(FileManager.default.fileExists(atPath: checkpoint), sourceLocation: sourceLocation)
        #expect(!FileManager.default.fileExists(atPath: out + "/final.h5"), sourceLocation: sourceLocation)
        return step
    }

    // SIGTERM to rank 1 only: the stop is agreed in the step's all-reduce, so rank 0 stops after
    // the same step and writes the checkpoint; the resumed run ends bitwise equal to a straight one.
    @Test func sigtermToOneRankCheckpointsAndResumesBitwise() throws {
        let straight = TrainFixture.runDirectory("straight")
        let done = try Job.train(ranks: 2, flags(out: straight))
        #expect(done.status == 0, "\(done.stderr)")

        let out = TrainFixture.runDirectory("sigterm")
        let job = try signalled(out: out, [SIGTERM]) { RunProcesses.rank(1, out: $0) }
        #expect(job.status == 143 && !job.timedOut, "status \(job.status): \(job.stderr)")
        let step = try stoppedStep(job, by: "SIGTERM", out: out)
        #expect(step >= 3 && step < SignalTests.steps)
        #expect(job.seconds < 30)

        let again = try Job.train(ranks: 2, flags(out: out) + ["--resume", "auto"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("resuming from \(RunDirectory(path: out).stepPath(step)) at step \(step)/\(SignalTests.steps)"))
        #expect(trainLosses(straight + "/metrics.jsonl").map(\.loss) == trainLosses(out + "/metrics.jsonl").map(\.loss))
        #expect(try checkpointState(straight + "/final.h5") == checkpointState(out + "/final.h5"))
    }

    // SIGINT to rank 0 (Ctrl-C where a rank runs in the foreground): 130 from the job.
    @Test func sigintToRankZeroExits130WithACheckpoint() throws {
        let out = TrainFixture.runDirectory("sigint")
        let job = try signalled(out: out, [SIGINT]) { RunProcesses.rank(0, out: $0) }
        #expect(job.status == 130 && !job.timedOut, "status \(job.status): \(job.stderr)")
        _ = try stoppedStep(job, by: "SIGINT", out: out)
    }

    // Open MPI's mpirun, signalled itself (SIGINT or SIGTERM), sends SIGTERM to every rank, then
    // SIGKILL after odls_base_sigkill_timeout (set by launch/txf-mpirun), and exits 1 whatever
    // the ranks return: the checkpoint and its line are what count.
    @Test func sigintToMpirunCheckpointsEveryRank() throws {
        let out = TrainFixture.runDirectory("mpirun")
        let job = try signalled(out: out, [SIGINT]) { RunProcesses.mpirun(out: $0) }
        #expect(job.status != 0 && !job.timedOut, "status \(job.status): \(job.stderr)")
        let step = try stoppedStep(job, by: "SIGTERM", out: out)
        _ = try checkpointState(RunDirectory(path: out).stepPath(step))
    }

    // Two signals at once: the second ends rank 1 on the spot (143), before any stop line.
    @Test func secondSignalExitsAtOnce() throws {
        let out = TrainFixture.runDirectory("twice")
        let job = try signalled(out: out, [SIGTERM, SIGTERM]) { RunProcesses.rank(1, out: $0) }
        #expect(job.status == 143 && !job.timedOut, "status \(job.status): \(job.stderr)")
        #expect(job.stderrCount("stopped by") == 0, "stderr: \(job.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out + "/final.h5"))
        #expect(job.seconds < 30)
    }
}
