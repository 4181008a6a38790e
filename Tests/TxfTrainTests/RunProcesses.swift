import Foundation

/// The processes of one txf-train job, found in /proc by the `--out` directory on their
/// command line (unique per test): mpirun, and each rank with its rank number.
enum RunProcesses {
    /// The PID of the job's mpirun, nil until it runs.
    static func mpirun(out: String) -> pid_t? {
        matching(out: out).first { command(of: $0) == "mpirun" }
    }

    /// The PID of the job's `launch/txf-mpirun` script, run by bash (the lowest such PID: its
    /// filter is a forked copy until it becomes awk), nil until it runs.
    static func launcher(out: String) -> pid_t? {
        matching(out: out).filter { pid in
            command(of: pid) == "bash" && arguments(of: pid).contains(TestPaths.launcher.path)
        }.min()
    }

    /// The PID of rank `rank` (OMPI_COMM_WORLD_RANK), nil until it runs.
    static func rank(_ rank: Int, out: String) -> pid_t? {
        // txf-train re-executes itself through /proc/self/exe (its name then reads "exe").
        matching(out: out).first { command(of: $0) != "mpirun" && environmentValue(of: $0, "OMPI_COMM_WORLD_RANK") == String(rank) }
    }

    /// The highest step of the train lines in `<out>/metrics.jsonl`, 0 before the first.
    static func loggedStep(out: String) -> Int {
        trainLosses(out + "/metrics.jsonl").last?.step ?? 0
    }

    /// A `killWhen` condition asked at most every 50 ms: `Job.run` asks every 2 ms, and a
    /// scan of /proc that often would starve the job it watches (which runs at nice 19).
    static func throttled(_ condition: @escaping () -> Bool) -> () -> Bool {
        var last = 0.0
        return {
            let now = Date().timeIntervalSinceReferenceDate
            guard now - last >= 0.05 else { return false }
            last = now
            return condition()
        }
    }

    private static func matching(out: String) -> [pid_t] {
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { pid_t($0) }
        return pids.filter { arguments(of: $0).contains(out) }
    }

    private static func arguments(of pid: pid_t) -> [String] {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return [] }
        return data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }

    private static func command(of pid: pid_t) -> String? {
        (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func environmentValue(of pid: pid_t, _ name: String) -> String? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return nil }
        let prefix = name + "="
        return data.split(separator: 0).lazy.map { String(decoding: $0, as: UTF8.self) }
            .first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
    }
}
