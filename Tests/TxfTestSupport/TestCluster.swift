import Foundation

/// A cluster of hosts on this machine made by launch/testcluster.sh: network namespaces on one
/// bridge, started by mpirun through launch/testcluster-agent. Each test process uses its own
/// name and address range (from its PID), so two test runs on one machine do not meet.
public struct TestCluster: Sendable {
    /// Hosts are `name`-h1 … `name`-hN; the state directory is /run/`name`-testcluster.
    public let name: String
    public let hostCount: Int
    /// The first three octets of the cluster's /24.
    public let net: String

    public static let script = TestPaths.repositoryRoot.appendingPathComponent("launch/testcluster.sh")

    /// Why the cluster cannot be made here, or nil: it needs root and network namespaces
    /// (`ip netns add`), which containers without CAP_SYS_ADMIN and non-root users lack.
    public static let unavailable: String? = {
        guard getuid() == 0 else { return "needs root (network namespaces for the test cluster)" }
        guard let ip = findExecutable("ip") else { return "needs ip (iproute2) for the test cluster" }
        let probe = "txf-probe-\(getpid())"
        guard (try? Job.run(executable: URL(fileURLWithPath: ip), ["netns", "add", probe]).status) == 0 else {
            return "cannot make network namespaces here (`ip netns add` failed)"
        }
        _ = try? Job.run(executable: URL(fileURLWithPath: ip), ["netns", "del", probe])
        return nil
    }()

    public var state: String { "/run/\(name)-testcluster" }

    /// Host `k`'s name (1-based): its network namespace, its host name, its root-side veth.
    public func host(_ k: Int) -> String { "\(name)-h\(k)" }

    /// Where host `k` keeps its private directory, as this (root) namespace sees it; on the
    /// host itself it is `localMount`.
    public func privateDirectory(_ k: Int) -> String { "\(state)/hosts/\(host(k))/local" }

    /// The path each host sees its own private directory at.
    public var localMount: String { "\(state)/local" }

    /// Brings up `hosts` hosts, after taking down what a killed earlier run of this process's
    /// name may have left.
    public static func up(hosts: Int) throws -> TestCluster {
        let pid = Int(getpid())
        let cluster = TestCluster(name: "txft\(pid % 10_000)", hostCount: hosts, net: "10.213.\(1 + pid % 250)")
        _ = try cluster.script("down")
        let job = try cluster.script("up", String(hosts))
        guard job.status == 0 else {
            cluster.down()  // what the failed `up` made
            throw JobError("testcluster.sh up \(hosts) failed: \(job.output)")
        }
        return cluster
    }

    /// Takes the cluster down: kills what still runs in its namespaces, removes them, the
    /// bridge and the state directory.
    public func down() {
        _ = try? script("down")
    }

    /// Runs launch/testcluster.sh with this cluster's name and range.
    @discardableResult
    public func script(_ arguments: String...) throws -> Job {
        try Job.run(executable: TestCluster.script, arguments,
                    environment: ["TXF_CLUSTER": name, "TXF_CLUSTER_NET": net], timeout: 60)
    }

    /// A hostfile in the state directory with `slots[i]` slots on host i+1 (0 leaves it out),
    /// in the order given by `order` (1-based host numbers; default 1, 2, …): mpirun fills
    /// the slots in that order, so rank 0 lands on the first listed host.
    public func hostfile(slots: [Int], order: [Int]? = nil) throws -> String {
        let path = "\(state)/hostfile-\(slots.map(String.init).joined(separator: "-"))-\(UUID().uuidString.prefix(6))"
        let lines = (order ?? Array(1 ... slots.count)).filter { slots[$0 - 1] > 0 }
            .map { "\(host($0)) slots=\(slots[$0 - 1])" }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The options launch/txf-mpirun (or mpirun) needs to place ranks on the cluster's hosts
    /// with `hostfile` (default: one slot per host), every byte between ranks over TCP on the
    /// cluster's addresses (STATE/mpirun-args, written by `up`).
    public func mpirunOptions(hostfile: String? = nil) throws -> [String] {
        var options = try String(contentsOfFile: "\(state)/mpirun-args", encoding: .utf8)
            .split(separator: "\n").map(String.init)
        if let hostfile, let index = options.firstIndex(of: "--hostfile") { options[index + 1] = hostfile }
        return options
    }

    /// The cluster host whose network namespace `pid` runs in, or nil (the root namespace, or
    /// gone).
    public func host(of pid: pid_t) -> String? {
        guard let mine = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/net") else { return nil }
        return (1 ... hostCount).map(host).first { name in
            var own = stat()
            guard stat("/run/netns/\(name)", &own) == 0 else { return false }
            // The link reads "net:[INODE]", INODE that of the namespace's file in /run/netns.
            return mine == "net:[\(own.st_ino)]"
        }
    }

    /// PIDs of the processes still running in host `k`'s network namespace.
    public func processes(onHost k: Int) -> [pid_t] {
        guard let ip = findExecutable("ip"),
              let job = try? Job.run(executable: URL(fileURLWithPath: ip), ["netns", "pids", host(k)]) else { return [] }
        return job.lines.compactMap { pid_t($0) }.filter(ProcessTree.isRunning)
    }

    /// Waits up to `seconds` until no process runs on any host; the PIDs left, by host.
    public func waitUntilEmpty(seconds: Double) -> [String: [pid_t]] {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            var left: [String: [pid_t]] = [:]
            for k in 1 ... hostCount {
                let pids = processes(onHost: k)
                if !pids.isEmpty { left[host(k)] = pids }
            }
            if left.isEmpty || Date() > deadline { return left }
            usleep(100_000)
        }
    }
}
