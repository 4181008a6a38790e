import Foundation
import TxfTestSupport
import Testing
import TxfCore
@testable import TxfTrain

/// Two ranks that do not share a disk, on one machine: every rank but 0 runs in a mount and
/// UTS namespace of its own (`PrivateHost`), where rank 0's run directory is covered by an
/// empty tmpfs and the host has another name. Checkpoints are rank 0's alone, so a resume must
/// come from bytes rank 0 read; the data is each host's own copy, so a copy that differs or is
/// missing must be named by rank and host.
@Suite(.serialized, .enabled(if: Job.mpirunAvailable && PrivateHost.available, PrivateHost.skipReason))
struct PrivateDiskResumeTests {
    let fixture = TrainFixture.paths

    func flags(train: String, out: String) -> [String] {
        ["--train", train, "--out", out] + TrainFixture.modelFlags
            + ["--global-batch", "32", "--max-steps", "20", "--lr", "3e-3", "--warmup-steps", "2",
               "--dropout", "0.1", "--seed", "5", "--log-every", "1", "--save-every", "10", "--keep", "3"]
    }

    /// An uninterrupted 20-step run (step-10 and final checkpoints), then its final.h5 removed and `--resume auto` from step 10 while rank 1 cannot see `--out`, neither its
    /// files nor the directory itself: the same losses for steps 11-20 and the same final state,
    /// bit for bit.
    @Test func resumeFromRankZerosDiskMatchesTheUninterruptedRun() throws {
        let parent = TrainFixture.runDirectory("private"), out = parent + "/run"
        let host = try PrivateHost(hiding: (parent as NSString).deletingLastPathComponent)
        let straight = try host.train(flags(train: fixture.train, out: out))
        #expect(straight.status == 0, "\(straight.stderr)")
        let reference = try checkpointState(out + "/final.h5"), losses = trainLosses(out + "/metrics.jsonl")
        #expect(losses.map(\.step) == Array(1...20))
        #expect(RunDirectory(path: out).stepCheckpoints().map(\.step) == [10])
        try FileManager.default.removeItem(atPath: out + "/final.h5")

        let resumed = try host.train(flags(train: fixture.train, out: out) + ["--resume", "auto"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("resuming from \(out)/step-00000010.h5 at step 10/20"), "\(resumed.stdout)")
        #expect(trainLosses(out + "/metrics.jsonl").map(\.loss) == losses.map(\.loss))
        #expect(try checkpointState(out + "/final.h5") == reference)
    }

    /// Rank 1's host holds another dataset under the same path (the dev set bound over the
    /// training set): the run ends before training with one line naming each copy's rank and
    /// host.
    @Test func aDatasetCopyThatDiffersNamesItsRankAndHost() throws {
        let out = TrainFixture.runDirectory("other-copy")
        let host = try PrivateHost(binding: fixture.dev, over: fixture.train)
        let job = try host.train(flags(train: fixture.train, out: out), timeout: 60)
        #expect(job.status == 1 && !job.timedOut, "\(job.stderr)")
        let line = "txf-train: ranks disagree on the --train data (dataset fingerprint): rank 0 (host \(PrivateHost.thisHost)) has \""
        #expect(job.stderrCount(line) == 1, "\(job.stderr)")
        #expect(job.stderrCount("\", rank 1 (host \(PrivateHost.otherHost)) has \"") == 1, "\(job.stderr)")
        #expect(job.stderrCount("; every host needs an identical copy of --train \(fixture.train) (the same `txf prepare` output)") == 1)
        #expect(job.stderrCount("txf-train: ") == 1, "\(job.stderr)")
    }

    /// Rank 1's host lacks the dataset (its directory is empty there): the one line names rank 1
    /// and its host.
    @Test func aMissingDatasetNamesItsRankAndHost() throws {
        let data = TrainFixture.runDirectory("data"), train = data + "/train.h5"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: fixture.train, toPath: train)
        let host = try PrivateHost(hiding: data)
        let job = try host.train(flags(train: train, out: TrainFixture.runDirectory("missing-copy")), timeout: 60)
        #expect(job.status == 1 && !job.timedOut, "\(job.stderr)")
        #expect(job.stderrCount("txf-train: rank 1 (host \(PrivateHost.otherHost)): \(train): no such file") == 1, "\(job.stderr)")
        #expect(job.stderrCount("txf-train: ") == 1, "\(job.stderr)")
    }
}

/// A launch wrapper that gives every rank but 0 a host of its own: a mount and UTS namespace
/// (`unshare --mount --uts`) named `otherHost`, with one directory covered by an empty tmpfs
/// or one file bound over another. Written to a temporary directory by each test; needs root.
struct PrivateHost {
    static let otherHost = "txf-private-host"
    /// gethostname(2)'s name, as the ranks report it.
    static let thisHost: String = {
        var bytes = [CChar](repeating: 0, count: 256)
        gethostname(&bytes, bytes.count - 1)
        return String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()

    /// Whether this process may make mount and UTS namespaces (root, unshare on PATH, and a
    /// kernel or container that allows them).
    static let available: Bool = {
        guard getuid() == 0, let unshare = findExecutable("unshare") else { return false }
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: unshare)
        probe.arguments = ["--mount", "--uts", "true"]
        probe.standardOutput = FileHandle.nullDevice
        probe.standardError = FileHandle.nullDevice
        guard (try? probe.run()) != nil else { return false }
        probe.waitUntilExit()
        return probe.terminationStatus == 0
    }()

    static let skipReason: Comment = "needs root and mount/UTS namespaces (unshare --mount --uts) to hide a disk from one rank"

    let wrapper: String

    init(hiding directory: String) throws {
        try self.init(setup: "mount -t tmpfs none '\(directory)'")
    }

    init(binding source: String, over target: String) throws {
        try self.init(setup: "mount --bind '\(source)' '\(target)'")
    }

    private init(setup: String) throws {
        let directory = try TestScratch.directory("private-host")
        let inner = directory + "/inner.sh"
        wrapper = directory + "/wrapper.sh"
        try """
            #!/bin/sh
            set -e
            hostname \(PrivateHost.otherHost)
            \(setup)
            exec "$@"
            """.write(toFile: inner, atomically: true, encoding: .utf8)
        try """
            #!/bin/sh
            if [ "${OMPI_COMM_WORLD_RANK:-0}" = 0 ]; then exec "$@"; fi
            exec unshare --mount --uts '\(inner)' "$@"
            """.write(toFile: wrapper, atomically: true, encoding: .utf8)
        for path in [inner, wrapper] { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path) }
    }

    /// txf-train on 2 ranks, each started through the wrapper.
    func train(_ arguments: [String], timeout: Double = 90) throws -> Job {
        let program = try #require(TestPaths.built("txf-train"))
        return try Job.run(executable: TestPaths.launcher, ["-n", "2", wrapper, program.path] + arguments,
                           directory: TrainFixture.paths.directory, timeout: timeout)
    }
}
