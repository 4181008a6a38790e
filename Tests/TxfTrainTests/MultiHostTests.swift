import Foundation
import Testing
import TxfCore

/// txf-train across hosts: 4 network namespaces on this machine (launch/testcluster.sh), each
/// rank's daemon started in its host by launch/testcluster-agent, every byte between ranks over
/// TCP. The same losses as one host, BLAS threads from the ranks on each host, a resume where
/// only rank 0's host sees the checkpoints, and (MultiHostTests+Faults.swift) a killed rank or a
/// cut link ending every rank with a line naming the host.
@Suite(.serialized,
       .enabled(if: Job.mpirunAvailable, "mpirun not on PATH; install openmpi-bin"),
       .enabled(if: TestCluster.unavailable == nil, Comment(rawValue: TestCluster.unavailable ?? "")),
       ClusterScope())
struct MultiHostTests {
    let fixture = TrainFixture.paths
    static let hosts = 4
    /// Steps of a full run: few, to keep the suite short (each run starts 4 hosts' daemons).
    static let steps = 12

    /// The cluster `ClusterScope` brought up for this suite.
    var cluster: TestCluster {
        get throws { try #require(ClusterScope.cluster, "the test cluster is not up") }
    }

    func flags(out: String, steps: Int = MultiHostTests.steps) -> [String] {
        ["--train", fixture.train, "--out", out] + TrainFixture.modelFlags
            + ["--global-batch", "32", "--micro-batch", "8", "--max-steps", "\(steps)", "--lr", "3e-3",
               "--warmup-steps", "2", "--dropout", "0.1", "--seed", "5", "--log-every", "1"]
    }

    /// `program` (a built executable or a path) on `ranks` ranks of the cluster, placed by
    /// `hostfile` (default: one slot per host), through launch/txf-mpirun.
    func onCluster(_ program: String, ranks: Int = MultiHostTests.hosts, hostfile: String? = nil,
                   _ arguments: [String], mpirun extra: [String] = [], environment: [String: String] = [:],
                   timeout: Double = 90, killWhen: (() -> Bool)? = nil) throws -> Job {
        let executable = TestPaths.built(program)?.path ?? program
        let options = try cluster.mpirunOptions(hostfile: hostfile) + extra
        return try Job.run(executable: TestPaths.launcher, ["-n", String(ranks)] + options + [executable] + arguments,
                           environment: environment, directory: fixture.directory, timeout: timeout, killWhen: killWhen)
    }

    func expectSuccess(_ job: Job, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(job.status == 0 && !job.timedOut, "failed (\(job.status)): \(job.output)", sourceLocation: sourceLocation)
    }

    // One rank per host, each naming its own host, and a collective self-test with the shared
    // memory transport left out (btl tcp,self), so the ranks reach each other only over TCP.
    @Test func ranksLandOnDifferentHostsAndTalkOverTCP() throws {
        let cluster = try cluster
        let names = try onCluster("/bin/hostname", [])
        expectSuccess(names)
        #expect(names.lines.sorted() == (1 ... MultiHostTests.hosts).map(cluster.host), "\(names.output)")
        let selftest = try onCluster("txf-mpi-selftest", ["all"])
        expectSuccess(selftest)
        #expect((0 ..< MultiHostTests.hosts).allSatisfy { selftest.stdout.contains("done rank \($0)") }, "\(selftest.output)")
    }

    // The tiny task of MultiRankTrainingTests on 4 hosts and on 4 ranks of this host: the same
    // samples and mathematics per step; only the order of float sums may differ (relative 1e-5,
    // the tolerance of the one-host world-size comparisons).
    @Test func sameLossesAsFourRanksOnOneHost() throws {
        let here = TrainFixture.runDirectory("one-host")
        expectSuccess(try Job.train(ranks: 4, flags(out: here)))
        let there = TrainFixture.runDirectory("four-hosts")
        let job = try onCluster("txf-train", flags(out: there))
        expectSuccess(job)
        let a = trainLosses(here + "/metrics.jsonl"), b = trainLosses(there + "/metrics.jsonl")
        #expect(a.map(\.step) == Array(1 ... MultiHostTests.steps) && b.map(\.step) == Array(1 ... MultiHostTests.steps))
        print("multi-host: 4 hosts vs 1 host, losses \(a.map(\.loss) == b.map(\.loss) ? "bitwise equal" : "within 1e-5")")
        assertClose(b.compactMap { Double($0.loss) }, a.compactMap { Double($0.loss) }, relativeTolerance: 1e-5,
                    "4 ranks on 4 hosts vs 4 ranks on one host")
    }

    // Hosts with 2, 1 and 1 ranks: each rank counts the ranks on its own host (MPI's shared-memory
    // split), and rank 0's BLAS line gives cores / ranks on its host.
    @Test func blasThreadsComeFromTheRanksOnEachHost() throws {
        let cluster = try cluster
        let hostfile = try cluster.hostfile(slots: [2, 1, 1, 0])
        let local = try onCluster("txf-mpi-selftest", hostfile: hostfile, ["local-ranks"])
        expectSuccess(local)
        for (rank, count) in [(0, 2), (1, 2), (2, 1), (3, 1)] {
            #expect(local.stdout.contains("local-ranks rank \(rank): \(count) of 4"), "\(local.output)")
        }
        // Rank 0 alone on the first listed host, two ranks on another: rank 0's BLAS line gives
        // all the cores of its host, not cores / 4. Unbound ranks (mpirun binds each to one core
        // when a host has no more ranks than cores) and no TXF_BLAS_THREADS: the rule alone counts.
        let placed = try cluster.hostfile(slots: [2, 1, 1, 0], order: [3, 1, 2])
        let job = try onCluster("txf-train", hostfile: placed, flags(out: TrainFixture.runDirectory("blas"), steps: 3),
                                mpirun: ["--bind-to", "none"], environment: ["TXF_BLAS_THREADS": ""])
        expectSuccess(job)
        let plan = try BLASThreadPlan.resolve(nodeCores: onlineCoreCount(), allowedCores: onlineCoreCount(),
                                              ranksOnNode: 1, override: nil, environmentValue: nil)
        #expect(job.stdout.contains(", \(plan.summary)\n"), "expected '\(plan.summary)': \(job.output)")
    }

    // Rank 0's host alone holds --out (the host-private directory): the others cannot open its
    // checkpoints. Killed once the step-4 checkpoint is written, resumed with --resume auto,
    // the run must end as an uninterrupted one does, loss for loss.
    @Test func resumeWhereOnlyRankZerosHostSeesTheCheckpoint() throws {
        let cluster = try cluster
        let name = "resume-\(UUID().uuidString.prefix(8))"
        let out = cluster.localMount + "/" + name, seen = cluster.privateDirectory(1) + "/" + name
        let extra = ["--save-every", "4", "--keep", "2"]
        let straight = TrainFixture.runDirectory("straight")
        expectSuccess(try onCluster("txf-train", flags(out: straight) + extra))

        var killedAt: Int?
        let killed = try onCluster("txf-train", flags(out: out) + extra, killWhen: RunProcesses.throttled {
            guard killedAt == nil, FileManager.default.fileExists(atPath: seen + "/step-00000004.h5") else { return false }
            // The ranks are the cluster daemons' children, not the launcher's: kill them here.
            for rank in 0 ..< MultiHostTests.hosts { if let pid = RunProcesses.rank(rank, out: out) { kill(pid, SIGKILL) } }
            killedAt = RunProcesses.loggedStep(out: seen)
            return false
        })
        #expect(killedAt != nil && killed.status != 0, "the run ended before the kill: \(killed.output)")
        #expect(!FileManager.default.fileExists(atPath: seen + "/final.h5"))
        #expect(cluster.waitUntilEmpty(seconds: 10).isEmpty)

        let again = try onCluster("txf-train", flags(out: out) + extra + ["--resume", "auto"])
        expectSuccess(again)
        #expect(again.stdout.contains("resuming from \(out)/step-000000"), "\(again.output)")
        let a = trainLosses(straight + "/metrics.jsonl"), b = trainLosses(seen + "/metrics.jsonl")
        #expect(a.map(\.step) == Array(1 ... MultiHostTests.steps) && b.map(\.step) == Array(1 ... MultiHostTests.steps))
        #expect(a.map(\.loss) == b.map(\.loss))
    }
}

/// Brings the suite's 4-host cluster up once, before its first test, and down after its last.
struct ClusterScope: SuiteTrait, TestScoping {
    @TaskLocal static var cluster: TestCluster?

    func provideScope(for test: Test, testCase: Test.Case?,
                      performing function: @Sendable () async throws -> Void) async throws {
        let cluster = try TestCluster.up(hosts: MultiHostTests.hosts)
        defer { cluster.down() }
        try await ClusterScope.$cluster.withValue(cluster) { try await function() }
    }
}
