import Foundation

/// A finished `launch/txf-mpirun -n N txf-train ...` run.
struct TrainJob {
    let status: Int32
    let stdout: String
    let stderr: String
    let seconds: Double
    let timedOut: Bool

    /// How many times `text` appears in stderr.
    func stderrCount(_ text: String) -> Int { stderr.components(separatedBy: text).count - 1 }

    static let mpirunAvailable: Bool = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/mpirun") }
    }()

    /// The repository root, from this file's path (Tests/TxfTrainTests/TrainJob.swift).
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The built `txf-train`: $TXF_TRAIN, else next to the running test binary (SwiftPM puts
    /// every product of a build in one directory, whatever --scratch-path is).
    static let trainer: URL? = {
        let fileManager = FileManager.default
        if let path = ProcessInfo.processInfo.environment["TXF_TRAIN"] { return URL(fileURLWithPath: path) }
        var directories: [URL] = []
        if let exe = try? fileManager.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            directories.append(URL(fileURLWithPath: exe).deletingLastPathComponent())
        }
        if let exe = Bundle.main.executableURL { directories.append(exe.deletingLastPathComponent()) }
        directories.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        directories += directories.map { $0.deletingLastPathComponent().deletingLastPathComponent() }
        for directory in directories {
            let candidate = directory.appendingPathComponent("txf-train")
            if fileManager.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }()

    /// Runs txf-train on `ranks` ranks, killing it after `timeout` seconds so a hang fails the
    /// test instead of stalling the suite. Output goes to files (a full pipe cannot block a rank).
    static func run(ranks: Int, _ arguments: [String], environment extra: [String: String] = [:],
                    timeout: Double = 90) throws -> TrainJob {
        guard let trainer else {
            throw TrainJobError("txf-train not found next to the test binary; build it with `swift build` or set TXF_TRAIN")
        }
        let fileManager = FileManager.default
        let directory = fileManager.temporaryDirectory.appendingPathComponent("txf-train-job-\(UUID().uuidString)")
        try fileManager.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? fileManager.removeItem(at: directory) }
        let outURL = directory.appendingPathComponent("stdout"), errURL = directory.appendingPathComponent("stderr")
        _ = fileManager.createFile(atPath: outURL.path, contents: nil)
        _ = fileManager.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)

        let process = Process()
        process.executableURL = repositoryRoot.appendingPathComponent("launch/txf-mpirun")
        process.arguments = ["-n", String(ranks), trainer.path] + arguments
        // Without the MPI variables a singleton MPI_Init in this process may have set (a child
        // mpirun would take them for its own); one BLAS thread per rank on this small machine.
        var environment = ProcessInfo.processInfo.environment.filter { key, _ in
            !["OMPI_", "PMIX_", "OPAL_", "ORTE_", "PMI_", "TXF_TEST_"].contains { key.hasPrefix($0) }
        }
        environment["OPENBLAS_NUM_THREADS"] = "1"
        environment["TXF_BLAS_THREADS"] = "1"
        environment.merge(extra) { $1 }
        process.environment = environment
        process.currentDirectoryURL = URL(fileURLWithPath: TrainFixture.paths.directory)
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let start = Date()
        try process.run()
        var timedOut = false
        while process.isRunning {
            if !timedOut && Date().timeIntervalSince(start) > timeout {
                timedOut = true
                process.terminate()
            }
            usleep(20_000)
        }
        let seconds = Date().timeIntervalSince(start)
        try out.close()
        try err.close()
        return TrainJob(status: process.terminationStatus,
                        stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
                        stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "",
                        seconds: seconds, timedOut: timedOut)
    }
}

struct TrainJobError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
