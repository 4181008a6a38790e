import Foundation
import Testing
import TxfTrain

/// txf-train's progress as a terminal and as a file see it: a live bar redrawn in place when
/// standard output is a terminal (here a pseudo-terminal from util-linux `script`), plain
/// lines otherwise. One rank, run directly (an MPI singleton), so its stdout is the one given.
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

    @Test(.enabled(if: findExecutable("script") != nil, "needs util-linux script for a pseudo-terminal"))
    func terminalGetsABarRedrawnInPlace() throws {
        let trainer = try #require(TestPaths.built("txf-train"))
        let command = ([trainer.path] + arguments(out: TrainFixture.runDirectory("progress-terminal")))
            .map { "'" + $0.replacingOccurrences(of: "'", with: #"'\''"#) + "'" }.joined(separator: " ")
        // -q no banner, -f flush at once, -e its exit status, -c the command; the transcript
        // file is not needed (script copies the terminal's output to its own stdout).
        let job = try Job.run(executable: URL(fileURLWithPath: findExecutable("script")!), ["-qfec", command, "/dev/null"],
                              directory: fixture.directory, timeout: 90)
        #expect(job.status == 0, "\(job.output)")
        for step in 1 ... 3 {
            #expect(job.stdout.contains("\r" + ProgressPrinter.bar(step: step, total: 3) + " step \(step)/3 |"),
                    "stdout: \(job.stdout.debugDescription)")
        }
        #expect(job.stdout.contains("\u{1B}[K"))
    }
}
