import Foundation
import TxfTestSupport

/// The ranks of a running job as the fault tests see them from outside: their PIDs, their CPU
/// time, and signals sent to them. `release()` (in a `defer`) leaves nothing stopped or running.
final class RankProcesses: @unchecked Sendable {
    /// Rank → PID, filled in as the ranks become known.
    private(set) var pids: [Int: pid_t] = [:]

    /// Records the PID of `rank`.
    func found(rank: Int, pid: pid_t) { pids[rank] = pid }

    /// Reads `directory`/rank-R.pid for ranks 0 ..< count (written by `txf-mpi-selftest sum-loop`).
    func read(directory: String, count: Int) {
        for rank in 0 ..< count where pids[rank] == nil {
            if let text = try? String(contentsOfFile: "\(directory)/rank-\(rank).pid", encoding: .utf8),
               let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                pids[rank] = pid
            }
        }
    }

    /// Finds live processes whose command line holds `marker`, with their rank from their
    /// environment (OMPI_COMM_WORLD_RANK).
    func find(commandLineContaining marker: String) {
        let all = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { pid_t($0) }
        for pid in all {
            guard let command = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
                  String(decoding: command, as: UTF8.self).contains(marker),
                  let environment = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { continue }
            let variables = String(decoding: environment, as: UTF8.self).split(separator: "\0")
            if let entry = variables.first(where: { $0.hasPrefix("OMPI_COMM_WORLD_RANK=") }),
               let rank = Int(entry.dropFirst("OMPI_COMM_WORLD_RANK=".count)) {
                pids[rank] = pid
            }
        }
    }

    /// User + system CPU seconds of `pid` so far (/proc/PID/stat fields 14 and 15), nil once gone.
    static func cpuSeconds(_ pid: pid_t) -> Double? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat"),
              let text = String(data: data, encoding: .utf8), let close = text.lastIndex(of: ")") else { return nil }
        // Fields after "pid (comm)": state is field 3, so utime (14) and stime (15) are at 11 and 12.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Whether `pid` still exists and is not a zombie.
    static func isAlive(_ pid: pid_t) -> Bool {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat"),
              let text = String(data: data, encoding: .utf8), let close = text.lastIndex(of: ")") else { return false }
        let state = text[text.index(after: close)...].split(separator: " ").first
        return state != "Z" && state != "X"
    }

    /// Continues and kills every rank still there.
    func release() {
        for pid in pids.values where RankProcesses.isAlive(pid) {
            kill(pid, SIGCONT)
            kill(pid, SIGKILL)
        }
    }
}

/// This machine's host name, as the ranks report it.
func hostName() -> String {
    var name = [CChar](repeating: 0, count: 256)
    gethostname(&name, name.count - 1)
    return String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// A fresh temporary directory.
func scratchDirectory(_ name: String) throws -> String {
    let path = try TestScratch.directory(name)
    return path
}
