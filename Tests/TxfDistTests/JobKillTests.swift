import Foundation
import Testing

/// The test runner's kill ends a whole mpirun job: mpirun puts each rank in a process group of
/// its own, and a rank outlives a killed mpirun, so the runner must find and kill the ranks too.
@Suite(.enabled(if: Job.mpirunAvailable, "mpirun not on PATH"))
struct JobKillTests {
    @Test func killEndsMpirunAndEveryRank() throws {
        // A duration no other process on the machine sleeps for, to find the ranks by.
        let duration = "61.\(getpid())"
        let started = Date()
        let job = try Job.run(executable: TestPaths.launcher, ["-n", "2", "/bin/sleep", duration],
                              killWhen: { ranksSleeping(duration) == 2 || Date().timeIntervalSince(started) > 30 })
        #expect(job.killed && job.seconds < 30, "\(job.output)")
        #expect(job.status == SIGKILL)
        #expect(ranksSleeping(duration) == 0)
    }

    /// How many live (not zombie) processes run `sleep duration`.
    func ranksSleeping(_ duration: String) -> Int {
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).filter { Int($0) != nil }
        return pids.filter { pid in
            guard let command = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
                  String(decoding: command, as: UTF8.self) == "/bin/sleep\0\(duration)\0",
                  let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
            return !stat.contains(") Z ")
        }.count
    }
}
