import Foundation
import Testing

/// launch/txf-mpirun's choices, read from its dry run (TXF_MPIRUN_DRY_RUN=1 prints the command).
@Suite(.enabled(if: Job.mpirunAvailable, "mpirun not on PATH"))
struct LauncherTests {
    func dryRun(_ arguments: [String], environment extra: [String: String] = [:]) throws -> String {
        let process = Process()
        process.executableURL = TestPaths.launcher
        process.arguments = arguments
        var environment = Job.environment()
        environment["TXF_MPIRUN_DRY_RUN"] = "1"
        environment.removeValue(forKey: "OPENBLAS_NUM_THREADS")
        environment.merge(extra) { $1 }
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return output
    }

    @Test func oneRankIsUnboundAndManyRanksOversubscribe() throws {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let one = try dryRun(["-n", "1", "prog", "arg"])
        #expect(one.contains("--bind-to none"))
        #expect(one.hasSuffix("prog arg \n"))
        #expect(!one.contains("--oversubscribe"))
        let many = try dryRun(["-n", String(cores + 1), "prog"])
        #expect(many.contains("--oversubscribe"))
        #expect(!many.contains("--bind-to"))
    }

    @Test func passesBLASAndTxfVariablesToEveryRank() throws {
        let output = try dryRun(["-n", "2", "prog"], environment: ["OPENBLAS_CORETYPE": "Haswell", "TXF_RUN_NAME": "x"])
        #expect(output.contains("-x OPENBLAS_CORETYPE"))
        #expect(output.contains("-x TXF_RUN_NAME"))
        #expect(output.contains("-x OPENBLAS_NUM_THREADS"))
    }

    // Right after `swift build`, the built programs are not on PATH: the launcher finds them in
    // the checkout's build folder; a program found nowhere is refused before mpirun starts.
    @Test func findsBuiltProgramsAndRefusesMissingOnes() throws {
        let bare = ["PATH": "/usr/local/bin:/usr/bin:/bin"]
        let resolved = try dryRun(["-n", "1", "txf-mpi-selftest", "all"], environment: bare)
        let root = TestPaths.repositoryRoot.path
        #expect(resolved.hasSuffix("\(root)/.build/release/txf-mpi-selftest all \n")
                || resolved.hasSuffix("\(root)/.build/debug/txf-mpi-selftest all \n"), "\(resolved)")
        let process = Process()
        process.executableURL = TestPaths.launcher
        process.arguments = ["-n", "1", "txf-no-such-program"]
        process.environment = Job.environment().merging(bare) { $1 }
        let pipe = Pipe()
        process.standardError = pipe
        try process.run()
        let message = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 127)
        #expect(message.contains("'txf-no-such-program' is not an executable, on PATH or in .build/release or .build/debug"), "\(message)")
    }

    @Test func missingRankCountPrintsUsage() throws {
        let process = Process()
        process.executableURL = TestPaths.launcher
        process.arguments = ["prog"]
        let pipe = Pipe()
        process.standardError = pipe
        try process.run()
        let usage = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 2)
        #expect(usage.contains("Usage:"))
    }
}
