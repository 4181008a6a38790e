import Foundation

/// A process and its descendants, read from /proc, to end a job as a whole: mpirun starts
/// each rank in a process group of its own, so neither a signal to mpirun nor one to its
/// process group reaches the ranks, and a rank whose mpirun was killed keeps running.
enum ProcessTree {
    /// Sends SIGKILL to `root` and every descendant at once, then waits until none is running
    /// (a zombie counts as ended); throws if one still runs after 10 s.
    static func kill(_ root: pid_t) throws {
        let members = [root] + descendants(of: root)
        for pid in members { _ = Foundation.kill(pid, SIGKILL) }
        let deadline = Date().addingTimeInterval(10)
        var running = members
        while !running.isEmpty {
            running = running.filter(isRunning)
            if Date() > deadline { throw JobError("processes \(running) still run 10 s after SIGKILL") }
            usleep(2_000)
        }
    }

    /// The children of `root`, their children and so on.
    static func descendants(of root: pid_t) -> [pid_t] {
        var children: [pid_t: [pid_t]] = [:]
        for pid in allProcesses() {
            if let parent = status(of: pid)?.parent { children[parent, default: []].append(pid) }
        }
        var found: [pid_t] = [], queue = [root]
        while let next = queue.popLast() {
            let direct = children[next] ?? []
            found += direct
            queue += direct
        }
        return found
    }

    /// Whether `pid` exists and is not a zombie.
    static func isRunning(_ pid: pid_t) -> Bool {
        guard let state = status(of: pid)?.state else { return false }
        return state != "Z" && state != "X"
    }

    static func allProcesses() -> [pid_t] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { pid_t($0) }
    }

    /// State letter and parent of `pid` from /proc/<pid>/stat ("pid (comm) S ppid …"; comm may
    /// hold spaces and parentheses, so the fields are read after the last ')'); nil once it is gone.
    static func status(of pid: pid_t) -> (state: Character, parent: pid_t)? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat"),
              let text = String(data: data, encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count >= 2, let state = fields[0].first, let parent = pid_t(fields[1]) else { return nil }
        return (state, parent)
    }
}
