import Foundation
import Testing
import TxfTrain

/// txf-train's progress as a terminal and as a file see it: a live bar redrawn in place when
/// standard output is a terminal (here a pseudo-terminal from util-linux `script`), plain
/// lines otherwise. One rank run directly (an MPI singleton) sees the stdout it is given.
@Suite(.serialized, .enabled(if: Job.mpirunAvailable, "needs Open MPI (txf-train runs as an MPI singleton)"))
struct ProgressTerminalTests {
    let fixture = TrainFixture.paths

    func arguments(out: String) -> [String] {
        ["--train", fixture.train, "--out", out] + TrainFixture.modelFlags
            + ["--global-batch", "16", "--max-steps", "3", "--log-every", "1"]
    }

    @Test func fileGetsOneLinePerLoggedStep() throws {
        let job = try Job.run("txf-train", ranks: nil, arguments(out: TrainFixture.runDirectory("progress-file")),
                              directory: fixture.directory, timeout: 90)
        #expect(job.status == 0, "\(job.stderr)")
        let steps = job.lines.filter { $0.hasPrefix("step ") }
        #expect(steps.map { $0.prefix(8) } == ["step 1/3", "step 2/3", "step 3/3"], "stdout: \(job.stdout)")
        #expect(!job.stdout.contains("\r") && !job.stdout.contains("\u{1B}"))
    }

    /// Runs `command` (words) under a pseudo-terminal: util-linux `script` with -q no banner,
    /// -f flush at once, -e its exit status, -c the command; the transcript file is not needed
    /// (script copies the terminal's output to its own stdout).
    func runOnTerminal(_ command: [String]) throws -> Job {
        let line = command.map { "'" + $0.replacingOccurrences(of: "'", with: #"'\''"#) + "'" }.joined(separator: " ")
        return try Job.run(executable: URL(fileURLWithPath: findExecutable("script")!), ["-qfec", line, "/dev/null"],
                           directory: fixture.directory, timeout: 90)
    }

    func expectBar(_ job: Job) {
        #expect(job.status == 0, "\(job.output)")
        for step in 1 ... 3 {
            #expect(job.stdout.contains("\r" + ProgressPrinter.bar(step: step, total: 3) + " step \(step)/3 |"),
                    "stdout: \(job.stdout.debugDescription)")
        }
        #expect(job.stdout.contains("\u{1B}[K"))
    }

    @Test(.enabled(if: findExecutable("script") != nil, "needs util-linux script for a pseudo-terminal"))
    func terminalGetsABarRedrawnInPlace() throws {
        let trainer = try #require(TestPaths.built("txf-train"))
        expectBar(try runOnTerminal([trainer.path] + arguments(out: TrainFixture.runDirectory("progress-terminal"))))
    }

    /// Under mpirun every rank sees a pseudo-terminal whatever mpirun's own output is, so `auto`
    /// prints lines there, and `--progress bar` asks for the bar.
    @Test(.enabled(if: findExecutable("script") != nil, "needs util-linux script for a pseudo-terminal"))
    func mpirunGetsLinesUnlessTheBarIsAskedFor() throws {
        let trainer = try #require(TestPaths.built("txf-train"))
        let launch = [TestPaths.launcher.path, "-n", "2", trainer.path]
        let auto = try runOnTerminal(launch + arguments(out: TrainFixture.runDirectory("progress-mpirun-auto")))
        #expect(auto.status == 0, "\(auto.output)")
        // The terminal turns each "\n" into "\r\n"; a bar would start with "\r[".
        #expect((1 ... 3).allSatisfy { auto.stdout.contains("\nstep \($0)/3 |") } && !auto.stdout.contains("\r[")
                && !auto.stdout.contains("\u{1B}[K"), "stdout: \(auto.stdout.debugDescription)")
        expectBar(try runOnTerminal(launch + arguments(out: TrainFixture.runDirectory("progress-mpirun-bar")) + ["--progress", "bar"]))
    }

    @Test func autoDrawsTheBarOnlyOnATerminalWithoutMPI() {
        #expect(ProgressStyle.auto.drawsBar(standardOutputIsTerminal: true, underMPILauncher: false))
        #expect(!ProgressStyle.auto.drawsBar(standardOutputIsTerminal: true, underMPILauncher: true))
        #expect(!ProgressStyle.auto.drawsBar(standardOutputIsTerminal: false, underMPILauncher: false))
        #expect(ProgressStyle.bar.drawsBar(standardOutputIsTerminal: false, underMPILauncher: true))
        #expect(!ProgressStyle.lines.drawsBar(standardOutputIsTerminal: true, underMPILauncher: false))
        #expect(ProgressStyle.isUnderMPILauncher(["OMPI_COMM_WORLD_SIZE": "2"]))
        #expect(!ProgressStyle.isUnderMPILauncher(["HOME": "/root"]))
    }
}
