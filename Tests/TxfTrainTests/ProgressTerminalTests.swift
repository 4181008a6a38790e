import Foundation
import Testing
import TxfTrain

/// txf-train's progress as a terminal and as a file see it: a live bar redrawn in place when
/// the run was started from a terminal (here a pseudo-terminal from util-linux `script`), plain
/// lines otherwise. One rank run directly (an MPI singleton) sees the stdout it is given; a
/// rank under mpirun always sees a pseudo-terminal, and looks at mpirun's output instead.
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
    func runOnTerminal(_ command: [String], redirect: String = "") throws -> Job {
        let line = command.map(quoted).joined(separator: " ") + redirect
        return try Job.run(executable: URL(fileURLWithPath: findExecutable("script")!), ["-qfec", line, "/dev/null"],
                           directory: fixture.directory, timeout: 90)
    }

    func quoted(_ word: String) -> String { "'" + word.replacingOccurrences(of: "'", with: #"'\''"#) + "'" }

    /// Plain progress lines, as a file or a terminal shows them: no carriage return starting a
    /// bar, no erase-line sequence.
    func expectLines(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect((1 ... 3).allSatisfy { text.contains("step \($0)/3 |") } && !text.contains("\r[")
                && !text.contains("\u{1B}"), "output: \(text.debugDescription)", sourceLocation: sourceLocation)
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

    /// Under mpirun every rank sees a pseudo-terminal whatever mpirun's own output is: `auto`
    /// draws the bar when mpirun's output is the terminal, and prints lines when it goes to a
    /// file (`mpirun … > log` from a terminal, the README's way), unless `--progress bar`.
    @Test(.enabled(if: findExecutable("script") != nil, "needs util-linux script for a pseudo-terminal"))
    func mpirunDrawsTheBarOnlyWhenItsOwnOutputIsTheTerminal() throws {
        let trainer = try #require(TestPaths.built("txf-train"))
        let launch = [TestPaths.launcher.path, "-n", "2", trainer.path]
        expectBar(try runOnTerminal(launch + arguments(out: TrainFixture.runDirectory("progress-mpirun-terminal"))))

        let log = TrainFixture.runDirectory("progress-mpirun-log") + ".log"
        // Plain mpirun, with what txf-mpirun would add here (root, few cores).
        let plain = ["env", "OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1",
                     try #require(findExecutable("mpirun")), "--oversubscribe", "-n", "2", trainer.path]
        let toFile = try runOnTerminal(plain + arguments(out: TrainFixture.runDirectory("progress-mpirun-file")), redirect: " > " + quoted(log))
        #expect(toFile.status == 0, "\(toFile.output)")
        expectLines(try String(contentsOfFile: log, encoding: .utf8))

        let forced = try runOnTerminal(plain + arguments(out: TrainFixture.runDirectory("progress-mpirun-bar")) + ["--progress", "bar"],
                                       redirect: " > " + quoted(log))
        #expect(forced.status == 0, "\(forced.output)")
        #expect(try String(contentsOfFile: log, encoding: .utf8).contains("\r" + ProgressPrinter.bar(step: 3, total: 3) + " step 3/3 |"))
    }

    @Test func autoDrawsTheBarOnlyOnATerminal() {
        #expect(ProgressStyle.auto.drawsBar(onTerminal: true))
        #expect(!ProgressStyle.auto.drawsBar(onTerminal: false))
        #expect(ProgressStyle.bar.drawsBar(onTerminal: false))
        #expect(!ProgressStyle.lines.drawsBar(onTerminal: true))
        #expect(LaunchTerminal.isUnderMPILauncher(["OMPI_COMM_WORLD_SIZE": "2"]))
        #expect(!LaunchTerminal.isUnderMPILauncher(["HOME": "/root"]))
    }
}
