import Foundation
import TxfTestSupport
import Testing
@testable import TxfTrain

/// How rank 0 finds the terminal a run was started from (`LaunchTerminal`), on real processes
/// and a real pseudo-terminal (posix_openpt), and how the bar is cut to its width.
@Suite struct LaunchTerminalTests {
    /// A pseudo-terminal of `columns` × 24: the master (kept open, or the terminal hangs up)
    /// and the slave's path.
    final class PseudoTerminal {
        let master: Int32
        let slavePath: String

        /// Linux's TIOCSPTLCK and TIOCGPTN (<asm-generic/ioctls.h>): function-like macros,
        /// which Swift does not import (nor posix_openpt, behind _XOPEN_SOURCE).
        static let unlock: UInt = 0x4004_5431, number: UInt = 0x8004_5430

        init(columns: UInt16) throws {
            master = open("/dev/ptmx", O_RDWR | O_NOCTTY)
            var locked: Int32 = 0, index: UInt32 = 0
            guard master >= 0, ioctl(master, PseudoTerminal.unlock, &locked) == 0,
                  ioctl(master, PseudoTerminal.number, &index) == 0 else {
                throw TerminalError("cannot open a pseudo-terminal: \(String(cString: strerror(errno)))")
            }
            slavePath = "/dev/pts/\(index)"
            var size = winsize(ws_row: 24, ws_col: columns, ws_xpixel: 0, ws_ypixel: 0)
            guard ioctl(master, UInt(TIOCSWINSZ), &size) == 0 else { throw TerminalError("TIOCSWINSZ failed") }
        }

        deinit { close(master) }
    }

    struct TerminalError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// A launcher stand-in: bash with standard output `output`, running `sleep` with standard
    /// output `rankOutput` (a path), as mpirun runs a rank whose output is a file of its own.
    /// Returns bash and the sleep's PID; both are ended by the caller.
    func launcher(output: FileHandle, rankOutput: String) throws -> (Process, pid_t) {
        let scratch = TestScratch.path("launch-terminal")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", #"sleep 30 > "$1" & echo $! > "$2.tmp"; mv "$2.tmp" "$2"; wait"#, "bash", rankOutput, scratch]
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice  // bash's report of the sleep's SIGKILL
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: scratch, encoding: .utf8), let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                unlink(scratch)
                return (process, pid)
            }
            usleep(5_000)
        }
        process.terminate()
        throw TerminalError("the launcher stand-in did not start")
    }

    /// SIGKILL to both (bash inherits the test thread's mask, which blocks SIGTERM), the sleep
    /// first: Process waits for every holder of its descriptors, the sleep among them.
    func end(_ process: Process, _ rank: pid_t) {
        kill(rank, SIGKILL)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func rankOutput() throws -> (path: String, handle: FileHandle) {
        let path = TestScratch.path("rank-output")
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        return (path, try FileHandle(forWritingTo: URL(fileURLWithPath: path)))
    }

    // The rank's own output is passed over (it is the rank's, as a wrapper's would be); the
    // launcher's is the terminal, 57 columns wide.
    @Test func theLaunchersTerminalIsFoundAboveTheRank() throws {
        let terminal = try PseudoTerminal(columns: 57)
        let slave = try #require(FileHandle(forUpdatingAtPath: terminal.slavePath))
        let own = try rankOutput()
        let (process, rank) = try launcher(output: slave, rankOutput: own.path)
        defer { end(process, rank) }
        let found = try #require(LaunchTerminal.launcherTerminal(from: rank, besides: own.handle.fileDescriptor))
        #expect(found.columns == 57)
    }

    // mpirun > log: the launcher's output is a file (or /dev/null, a character device but no
    // terminal), so there is no terminal.
    @Test(arguments: [false, true])
    func aLauncherWritingToAFileHasNoTerminal(_ deviceNull: Bool) throws {
        let own = try rankOutput(), log = try rankOutput()
        let output = deviceNull ? try #require(FileHandle(forWritingAtPath: "/dev/null")) : log.handle
        let (process, rank) = try launcher(output: output, rankOutput: own.path)
        defer { end(process, rank) }
        #expect(LaunchTerminal.launcherTerminal(from: rank, besides: own.handle.fileDescriptor) == nil)
    }

    @Test func outputRewritingOptionsMeanNoTerminal() {
        #expect(LaunchTerminal.rewritesOutput(["OMPI_MCA_orte_tag_output": "1"]))
        #expect(LaunchTerminal.rewritesOutput(["OMPI_MCA_orte_output_filename": "/tmp/out"]))
        #expect(LaunchTerminal.rewritesOutput(["OMPI_MCA_orte_xml_output": "1", "OMPI_COMM_WORLD_SIZE": "2"]))
        #expect(!LaunchTerminal.rewritesOutput(["OMPI_MCA_orte_timestamp_output": "0", "OMPI_COMM_WORLD_SIZE": "2"]))
        #expect(!LaunchTerminal.rewritesOutput(["OMPI_COMM_WORLD_SIZE": "2"]))
    }

    static let record = TrainRecord(step: 5, totalSteps: 20, epoch: 0.25, loss: 0.6531, lr: 9e-4, gradNorm: 1.234,
                                    tokensPerSecond: 5400, samplesPerSecond: 180, gflopsPerSecond: 21.5, mfu: 0.52,
                                    elapsedSeconds: 10, etaSeconds: 192)

    // The whole bar line is 139 characters; narrower terminals drop the fields before the ETA
    // from the right, whole, and cut only when bar, step and ETA alone do not fit. Each result
    // leaves the last column free.
    @Test func theBarIsCutToTheTerminalWidth() {
        let r = LaunchTerminalTests.record
        let whole = "[#####...............] step  5/20 | epoch 0.25 | loss 0.6531 | lr 9.00e-04 | grad 1.234 | 5,400 tok/s | MFU 52% | 180 samples/s | ETA 3m12s"
        #expect(ProgressPrinter.barLine(r, columns: 200) == whole && whole.count == 139)
        #expect(ProgressPrinter.barLine(r, columns: 140) == whole)
        #expect(ProgressPrinter.barLine(r, columns: 139) == "[#####...............] step  5/20 | epoch 0.25 | loss 0.6531 | lr 9.00e-04 | grad 1.234 | 5,400 tok/s | MFU 52% | ETA 3m12s")
        #expect(ProgressPrinter.barLine(r, columns: 100) == "[#####...............] step  5/20 | epoch 0.25 | loss 0.6531 | lr 9.00e-04 | grad 1.234 | ETA 3m12s")
        #expect(ProgressPrinter.barLine(r, columns: 80) == "[#####...............] step  5/20 | epoch 0.25 | loss 0.6531 | ETA 3m12s")
        #expect(ProgressPrinter.barLine(r, columns: 40) == "[#####...............] step  5/20 | ETA")
        for columns in [1, 2, 20, 45, 46, 79, 80, 81, 120] {
            #expect(ProgressPrinter.barLine(r, columns: columns).count <= max(1, columns - 1), "\(columns) columns")
        }
    }
}
