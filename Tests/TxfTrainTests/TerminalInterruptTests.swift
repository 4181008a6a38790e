import Foundation
import Testing
import TxfTrain

/// Ctrl-C typed on a terminal, as a person stops a run: the kernel sends SIGINT to the
/// terminal's foreground process group. txf-train run directly and under launch/txf-mpirun
/// (which keeps mpirun out of that group and relays the SIGINT to the ranks) both checkpoint,
/// say so and exit 130. The terminal is a pseudo-terminal from python3's `pty`.
@Suite(.serialized, .enabled(if: Job.mpirunAvailable && Python.executable != nil, "needs Open MPI and python3"))
struct TerminalInterruptTests {
    let fixture = TrainFixture.paths

    /// Runs the command (argv after the script) on a new pseudo-terminal with every signal
    /// unblocked (the test thread blocks some), types Ctrl-C once `out`'s metrics.jsonl has a
    /// train line of step 3 or later, and relays the transcript; exits with the command's status.
    static let typist = #"""
    import json, os, pty, select, signal, sys, time
    out, argv = sys.argv[1], sys.argv[2:]
    pid, fd = pty.fork()
    if pid == 0:
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        os.execvp(argv[0], argv)
    def logged():
        try: lines = open(out + "/metrics.jsonl").read().splitlines()
        except OSError: return 0
        return max([json.loads(l)["step"] for l in lines if '"train"' in l] or [0])
    sent, start = False, time.time()
    while True:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try: chunk = os.read(fd, 65536)
            except OSError: break
            if not chunk: break
            sys.stdout.buffer.write(chunk); sys.stdout.flush()
        if not sent and logged() >= 3:
            os.write(fd, b"\x03"); sent = True
        if time.time() - start > 60: os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    sys.exit(os.waitstatus_to_exitcode(status))
    """#

    func flags(out: String) -> [String] {
        ["--train", fixture.train, "--out", out] + TrainFixture.modelFlags
            + ["--global-batch", "16", "--max-steps", "400", "--log-every", "1"]
    }

    func expectStoppedBySIGINT(_ job: Job, out: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(job.status == 130, "status \(job.status): \(job.output)", sourceLocation: sourceLocation)
        #expect(job.stdout.contains("txf-train: stopped by SIGINT after step "), "\(job.output)", sourceLocation: sourceLocation)
        #expect(!RunDirectory(path: out).stepCheckpoints().isEmpty, sourceLocation: sourceLocation)
        #expect(job.stdout.contains("run summary"), sourceLocation: sourceLocation)
    }

    @Test func ctrlCStopsTxfTrainWithACheckpoint() throws {
        let trainer = try #require(TestPaths.built("txf-train"))
        let out = TrainFixture.runDirectory("ctrl-c")
        let job = try Python.run(["-c", TerminalInterruptTests.typist, out, trainer.path] + flags(out: out), timeout: 90)
        expectStoppedBySIGINT(job, out: out)
    }

    // Before txf-mpirun kept mpirun out of the foreground group, mpirun took the Ctrl-C itself,
    // sent the ranks SIGTERM and exited 1.
    @Test func ctrlCThroughTheLauncherStopsEveryRankWithACheckpoint() throws {
        let trainer = try #require(TestPaths.built("txf-train"))
        let out = TrainFixture.runDirectory("ctrl-c-mpirun")
        let job = try Python.run(["-c", TerminalInterruptTests.typist, out, TestPaths.launcher.path, "-n", "2", trainer.path]
                                 + flags(out: out), timeout: 90)
        expectStoppedBySIGINT(job, out: out)
    }
}
