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
    static let steps = 20

    func flags(out: String, model: [String] = TrainFixture.modelFlags) -> [String] {
        ["--train", fixture.train, "--out", out] + model
            + ["--global-batch", "32", "--max-steps", "\(SignalTests.steps)", "--lr", "3e-3", "--warmup-steps", "2",
               "--dropout", "0.1", "--seed", "5", "--log-every", "1", "--save-every", "10", "--keep", "3"]
    }

    /// Runs txf-train on 2 ranks and, once step 3 is logged, sends `signals` to the process
    /// `target` names (looked up then), back to back (so two of them must differ: a signal sent
    /// while the same one is still pending merges with it); `sent` receives when.
    func signalled(out: String, _ signals: [Int32], model: [String] = TrainFixture.modelFlags, sent sentAt: SentClock? = nil,
                   to target: @escaping (String) -> pid_t?) throws -> Job {
        var sent = false
        let program = try #require(TestPaths.built("txf-train"))
        // mpirun inherits the test thread's blocked signals (SIGTERM among them), which a
        // launch from a shell would not have: python unblocks them, then execs the launcher.
        let unblock = "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execv(sys.argv[1], sys.argv[1:])"
        let arguments = ["python3", "-c", unblock, TestPaths.launcher.path, "-n", "2", program.path] + flags(out: out, model: model)
        return try Job.run(executable: URL(fileURLWithPath: "/usr/bin/env"), arguments, directory: fixture.directory,
                           timeout: 60, killWhen: RunProcesses.throttled {
            if !sent, RunProcesses.loggedStep(out: out) >= 3, let pid = target(out) {
                for number in signals { kill(pid, number) }
                sentAt?.time = monotonicSeconds()
                sent = true
            }
            return false
        })
    }

    /// The step of the stop line, checked against the checkpoint it names.
    func stoppedStep(_ job: Job, by name: String, out: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Int {
        #expect(job.stderrCount("txf-train: stopped by \(name) after step ") == 1, "stderr: \(job.stderr)", sourceLocation: sourceLocation)
        let line = try #require(job.stderr.split(separator: "\n").first { $0.contains("stopped by") }, sourceLocation: sourceLocation)
        let step = try #require(Int(line.split(separator: " ")[6].dropLast()), "\(line)", sourceLocation: sourceLocation)
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

    // Plain mpirun forwards SIGUSR1 / SIGUSR2 to every rank and keeps the job running (on its own
    // SIGTERM or SIGINT it tears the job down instead, and the ranks were seen to be killed
    // before their checkpoint): txf-train takes them as SIGTERM / SIGINT, the job exits 143 / 130.
    @Test(arguments: [(SIGUSR1, SIGTERM, "SIGTERM"), (SIGUSR2, SIGINT, "SIGINT")])
    func userSignalToMpirunStopsEveryRank(_ number: Int32, _ meaning: Int32, _ name: String) throws {
        let out = TrainFixture.runDirectory("mpirun")
        let job = try signalled(out: out, [number]) { RunProcesses.mpirun(out: $0) }
        #expect(job.status == 128 + meaning && !job.timedOut, "status \(job.status): \(job.stderr)")
        let step = try stoppedStep(job, by: name, out: out)
        _ = try checkpointState(RunDirectory(path: out).stepPath(step))
    }

    // launch/txf-mpirun relays a first SIGTERM / SIGINT to the ranks as SIGUSR1 / SIGUSR2, which
    // mpirun forwards without killing anyone: every rank checkpoints and the job's status is
    // theirs, 143 / 130, however long the checkpoint takes.
    @Test(arguments: [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")])
    func signalToTheLauncherIsRelayedToEveryRank(_ number: Int32, _ name: String) throws {
        let out = TrainFixture.runDirectory("launcher")
        let job = try signalled(out: out, [number]) { RunProcesses.launcher(out: $0) }
        #expect(job.status == 128 + number && !job.timedOut, "status \(job.status): \(job.stderr)")
        let step = try stoppedStep(job, by: name, out: out)
        _ = try checkpointState(RunDirectory(path: out).stepPath(step))
    }

    // SIGUSR1 then SIGTERM, back to back: what a rank gets when txf-mpirun relays a scheduler's
    // two SIGTERMs. The second ends rank 1 on the spot (143), before any stop line or checkpoint
    // (two different signals, so neither merges with the other however soon it follows).
    @Test func secondSignalExitsAtOnce() throws {
        let out = TrainFixture.runDirectory("twice")
        let clock = SentClock()
        let job = try signalled(out: out, [SIGUSR1, SIGTERM], sent: clock) { RunProcesses.rank(1, out: $0) }
        let afterSignal = monotonicSeconds() - (clock.time ?? .infinity)
        #expect(job.status == 143 && !job.timedOut, "status \(job.status): \(job.stderr)")
        #expect(job.stderrCount("stopped by") == 0, "stderr: \(job.stderr)")
        #expect(RunDirectory(path: out).stepCheckpoints().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: out + "/final.h5"))
        // From the signals to the job's end, not its whole run: start-up on a loaded machine is
        // not what this measures (a stalled peer would take the stall timeout, 300 s).
        #expect(afterSignal < 30, "\(afterSignal) s from the signals to the end")
    }
}

/// When a test's signals were sent (monotonic seconds), set from the job's watcher.
final class SentClock: @unchecked Sendable {
    var time: Double?
}
