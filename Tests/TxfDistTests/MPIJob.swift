import Foundation

/// A finished `launch/txf-mpirun -n N txf-mpi-selftest ...` run, for the multi-rank tests.
struct MPIJob {
    let status: Int32
    let stdout: String
    let stderr: String
    /// Wall time from spawning mpirun to its exit.
    let seconds: Double
    let timedOut: Bool

    var lines: [String] { stdout.split(separator: "\n").map(String.init) }

    /// How many times `text` appears in stderr.
    func stderrCount(_ text: String) -> Int { stderr.components(separatedBy: text).count - 1 }

    /// Whether multi-rank tests can run here: Open MPI's launcher on PATH.
    static let mpirunAvailable: Bool = executable(named: "mpirun") != nil

    /// The repository root, from this file's path (Tests/TxfDistTests/MPIJob.swift).
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The built `txf-mpi-selftest`: $TXF_MPI_SELFTEST, else next to the running test binary
    /// (SwiftPM puts every product of a build in one directory, whatever --scratch-path is).
    static let selftest: URL? = {
        let fileManager = FileManager.default
        if let path = ProcessInfo.processInfo.environment["TXF_MPI_SELFTEST"] {
            return URL(fileURLWithPath: path)
        }
        var directories: [URL] = []
        if let exe = try? fileManager.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            directories.append(URL(fileURLWithPath: exe).deletingLastPathComponent())
        }
        if let exe = Bundle.main.executableURL { directories.append(exe.deletingLastPathComponent()) }
        directories.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        // On macOS the test binary sits inside an .xctest bundle next to the products.
        directories += directories.map { $0.deletingLastPathComponent().deletingLastPathComponent() }
        for directory in directories {
            let candidate = directory.appendingPathComponent("txf-mpi-selftest")
            if fileManager.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }()

    /// Runs the selftest with `arguments` on `ranks` ranks through launch/txf-mpirun, killing
    /// it after `timeout` seconds so a hang fails the test instead of stalling the suite.
    /// With `ranks` nil the selftest runs directly, as an MPI singleton without mpirun.
    static func run(ranks: Int?, _ arguments: [String], timeout: Double = 60) throws -> MPIJob {
        guard let selftest else {
            throw JobError("txf-mpi-selftest not found next to the test binary; build it with `swift build` or set TXF_MPI_SELFTEST")
        }
        let fileManager = FileManager.default
        let directory = fileManager.temporaryDirectory.appendingPathComponent("txf-mpi-\(UUID().uuidString)")
        try fileManager.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? fileManager.removeItem(at: directory) }
        // Files, not pipes: a rank printing more than a pipe holds cannot block on a full pipe.
        let outURL = directory.appendingPathComponent("stdout")
        let errURL = directory.appendingPathComponent("stderr")
        _ = fileManager.createFile(atPath: outURL.path, contents: nil)
        _ = fileManager.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)

        let process = Process()
        if let ranks {
            process.executableURL = repositoryRoot.appendingPathComponent("launch/txf-mpirun")
            process.arguments = ["-n", String(ranks), selftest.path] + arguments
        } else {
            process.executableURL = selftest
            process.arguments = arguments
        }
        process.environment = cleanEnvironment()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let start = Date()
        try process.run()
        var timedOut = false
        while process.isRunning {
            let elapsed = Date().timeIntervalSince(start)
            if !timedOut && elapsed > timeout {
                timedOut = true
                process.terminate()  // mpirun forwards SIGTERM to its ranks
            }
            if elapsed > timeout + 10 {
                kill(process.processIdentifier, SIGKILL)
                break  // never wait forever, even for a child nobody can reap
            }
            usleep(20_000)
        }
        let seconds = Date().timeIntervalSince(start)
        try out.close()
        try err.close()
        return MPIJob(status: process.terminationStatus,
                      stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "",
                      seconds: seconds, timedOut: timedOut)
    }

    /// This process's environment without Open MPI / PMIx variables (a child mpirun would take
    /// them for its own if the test process had been started under one).
    static func cleanEnvironment() -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { key, _ in
            !["OMPI_", "PMIX_", "OPAL_", "ORTE_", "PMI_"].contains { key.hasPrefix($0) }
        }
        environment["OPENBLAS_NUM_THREADS"] = "1"
        environment["SWIFT_BACKTRACE"] = "enable=no"  // a crashing rank exits at once
        return environment
    }

    static func executable(named name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }
}

struct JobError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
