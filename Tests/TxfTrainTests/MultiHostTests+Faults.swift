import Foundation
import Testing

/// A lost host mid-step: its rank killed, or its link taken down. Every rank on every host ends
/// within seconds, with a line naming the rank and its host.
extension MultiHostTests {
    /// What happened to the job, as it ran (`Job.run` asks `killWhen` as it goes).
    final class Fault: @unchecked Sendable {
        var at: Date?
        var pid: pid_t?
        var host: String?
    }

    /// Runs txf-train on the 4 hosts for many steps and, once step 3 is logged, does `fault` to
    /// rank 2 (host 3) once its process is known.
    func faulted(out: String, stallTimeout: Int? = nil, _ fault: Fault,
                 doing act: @escaping (pid_t) throws -> Void) throws -> Job {
        let cluster = try cluster
        let stall = stallTimeout.map { ["--stall-timeout", String($0)] } ?? []
        return try onCluster("txf-train", flags(out: out, steps: 100_000) + stall, timeout: 60,
                             killWhen: RunProcesses.throttled {
            if fault.at == nil, RunProcesses.loggedStep(out: out) >= 3, let pid = RunProcesses.rank(2, out: out) {
                fault.pid = pid
                fault.host = cluster.host(of: pid)
                try? act(pid)
                fault.at = Date()
            }
            return false
        })
    }

    // SIGKILL of the rank on host 3: mpirun sees it die and ends the job (status 128 + 9), and
    // launch/txf-mpirun's one line names the rank and the host.
    @Test func killedRankEndsEveryRankNamingItsHost() throws {
        let cluster = try cluster
        let fault = Fault()
        let job = try faulted(out: TrainFixture.runDirectory("killed"), fault) { kill($0, SIGKILL) }
        let at = try #require(fault.at, "rank 2 was never killed: \(job.output)")
        let seconds = Date().timeIntervalSince(at)
        print("multi-host: SIGKILL of rank 2 on \(fault.host ?? "?") → job ended after \(String(format: "%.2f", seconds)) s")
        #expect(fault.host == cluster.host(3))
        #expect(job.status == 128 + SIGKILL && !job.timedOut, "\(job.output)")
        let line = job.stderr.split(separator: "\n").first { $0.hasPrefix("txf-mpirun: rank 2 ") }
        #expect(line?.hasSuffix(" on \(cluster.host(3)) ended by signal 9 (Killed)") == true, "\(job.stderr)")
        #expect(seconds < 15, "took \(seconds) s")
        #expect(cluster.waitUntilEmpty(seconds: 5).isEmpty, "processes left on the hosts")
    }

    // Host 3's link down (its veth on the bridge): the ranks that can still talk wait in the
    // step's collective until --stall-timeout, then end with the watchdog's line naming rank 2
    // and its host (status 75); rank 2, cut off, ends by its own watchdog; the agent finds the
    // host silent, ends its daemon, and mpirun ends (docs/ARCHITECTURE.md, "A test cluster on
    // one machine").
    @Test func cutLinkEndsEveryRankAfterTheStallTimeout() throws {
        let cluster = try cluster
        let fault = Fault(), timeout = 3
        defer { _ = try? Job.run(executable: URL(fileURLWithPath: "/usr/sbin/ip"), ["link", "set", cluster.host(3), "up"]) }
        let job = try faulted(out: TrainFixture.runDirectory("cut"), stallTimeout: timeout, fault) { _ in
            let ip = try Job.run(executable: URL(fileURLWithPath: findExecutable("ip") ?? "/usr/sbin/ip"),
                                 ["link", "set", cluster.host(3), "down"])
            if ip.status != 0 { throw JobError("ip link set down failed: \(ip.output)") }
        }
        let at = try #require(fault.at, "the link was never cut: \(job.output)")
        let seconds = Date().timeIntervalSince(at)
        let left = cluster.waitUntilEmpty(seconds: 5)
        print("multi-host: link of \(cluster.host(3)) down → job ended after \(String(format: "%.2f", seconds)) s (--stall-timeout \(timeout))")
        #expect(job.status == 75 && !job.timedOut, "\(job.output)")
        let lines = job.stderr.split(separator: "\n").filter { $0.contains("txf: stall") }
        #expect(lines.count == 1 && lines[0].hasPrefix("txf: stall: rank 2 (host \(cluster.host(3))) stopped answering;"),
                "\(job.stderr)")
        // The deadline, the watchdog's 2 s for answers, the agent's 3 s of checks, and a loaded machine.
        #expect(seconds < Double(timeout) + 2 + 3 + 10, "took \(seconds) s")
        #expect(left.isEmpty, "processes left on the hosts: \(left)")
    }
}
