import Foundation

/// A finished run of a process the tests started: a txf executable on N ranks under
/// launch/txf-mpirun, one run directly, or python3.
public struct Job: Sendable {
    /// The exit status, or the signal number when a signal ended it.
    public let status: Int32
    /// Standard output as written.
    public let stdoutBytes: Data
    public let stderr: String
    /// Wall time from spawning the process to its exit.
    public let seconds: Double
    /// Whether it ran past its timeout and was stopped.
    public let timedOut: Bool
    /// Whether `killWhen` came true and the job was killed with SIGKILL, every rank at once.
    public let killed: Bool

    public var stdout: String { String(decoding: stdoutBytes, as: UTF8.self) }
    public var lines: [String] { stdout.split(separator: "\n").map(String.init) }
    /// Standard output, then standard error: for failure messages.
    public var output: String { stdout + stderr }

    /// How many times `text` appears in stderr.
    public func stderrCount(_ text: String) -> Int { stderr.components(separatedBy: text).count - 1 }

    /// Whether multi-rank tests can run here: Open MPI's launcher on PATH.
    public static let mpirunAvailable: Bool = findExecutable("mpirun") != nil

    /// Runs the built executable `program` (see `TestPaths.built`) on `ranks` ranks through
    /// launch/txf-mpirun, or directly (an MPI singleton, for txf programs) when `ranks` is nil.
    /// See `run(executable:…)` for the rest.
    public static func run(
        _ program: String, ranks: Int?, _ arguments: [String], environment extra: [String: String] = [:],
        directory: String? = nil, timeout: Double = 60, killWhen: (() -> Bool)? = nil
    ) throws -> Job {
        guard let executable = TestPaths.built(program) else {
            let variable = program.uppercased().replacingOccurrences(of: "-", with: "_")
            throw JobError("\(program) not found next to the test binary; build it with `swift build --build-tests` or set \(variable)")
        }
        if let ranks {
            return try run(executable: TestPaths.launcher, ["-n", String(ranks), executable.path] + arguments,
                           environment: extra, directory: directory, timeout: timeout, killWhen: killWhen)
        }
        return try run(executable: executable, arguments, environment: extra, directory: directory,
                       timeout: timeout, killWhen: killWhen)
    }

    /// Runs `executable` with `arguments` in `directory` and the test `environment()` plus
    /// `extra`, to its end, and returns what it printed.
    ///
    /// After `timeout` seconds it gets SIGTERM (mpirun forwards it to the ranks), 10 s later
    /// SIGKILL, so a hang fails the test instead of stalling the suite. `killWhen` is asked
    /// every 2 ms while it runs; once it answers true, the process and all its descendants
    /// (mpirun's ranks are its children, each in a process group of its own) are killed with
    /// SIGKILL at once, as a crash or a lost node would end them, and the call returns only
    /// when none is left running. Such a job runs at the lowest priority (`nice -n 19`): on a
    /// busy machine the job then slows down, not this watcher, so the kill lands soon after
    /// the condition comes true. Output goes to files, not pipes: a rank printing more than a
    /// pipe holds cannot block on a full pipe.
    public static func run(
        executable: URL, _ arguments: [String], environment extra: [String: String] = [:],
        directory: String? = nil, timeout: Double = 60, killWhen: (() -> Bool)? = nil
    ) throws -> Job {
        let fileManager = FileManager.default
        let scratch = fileManager.temporaryDirectory.appendingPathComponent("txf-job-\(UUID().uuidString)")
        try fileManager.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? fileManager.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("stdout"), errURL = scratch.appendingPathComponent("stderr")
        _ = fileManager.createFile(atPath: outURL.path, contents: nil)
        _ = fileManager.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)

        let process = Process()
        if killWhen != nil, let nice = findExecutable("nice") {
            process.executableURL = URL(fileURLWithPath: nice)
            process.arguments = ["-n", "19", executable.path] + arguments
        } else {
            process.executableURL = executable
            process.arguments = arguments
        }
        process.environment = environment().merging(extra) { $1 }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let start = Date()
        try process.run()
        var timedOut = false, killed = false
        while process.isRunning {
            let elapsed = Date().timeIntervalSince(start)
            if !killed, let killWhen, killWhen() {
                killed = true
                try ProcessTree.kill(process.processIdentifier)
            } else if !timedOut && elapsed > timeout {
                timedOut = true
                process.terminate()
            } else if timedOut && elapsed > timeout + 10 {
                try ProcessTree.kill(process.processIdentifier)
            }
            usleep(killWhen == nil ? 20_000 : 2_000)
        }
        let seconds = Date().timeIntervalSince(start)
        try out.close()
        try err.close()
        return Job(status: process.terminationStatus,
                   stdoutBytes: (try? Data(contentsOf: outURL)) ?? Data(),
                   stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "",
                   seconds: seconds, timedOut: timedOut, killed: killed)
    }

    /// This process's environment without Open MPI / PMIx variables (a child mpirun would take
    /// them for its own if the test process had been started under one or had called
    /// MPI_Init as a singleton), with one BLAS thread per process on this small machine and
    /// no Swift backtracer (a crashing rank exits at once).
    public static func environment() -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { key, _ in
            !["OMPI_", "PMIX_", "OPAL_", "ORTE_", "PMI_"].contains { key.hasPrefix($0) }
        }
        environment["OPENBLAS_NUM_THREADS"] = "1"
        environment["TXF_BLAS_THREADS"] = "1"
        environment["SWIFT_BACKTRACE"] = "enable=no"
        return environment
    }
}

/// A job the tests could not start or stop.
public struct JobError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Runs `executable` with `arguments` to its end; its exit status and standard output.
public func runProcess(_ executable: String, _ arguments: [String]) throws -> (status: Int32, stdout: Data) {
    let job = try Job.run(executable: URL(fileURLWithPath: executable), arguments, timeout: 1800)
    return (job.status, job.stdoutBytes)
}
