import Foundation
import Testing
import TxfCore
@testable import TxfTrain

/// A checkpoint write that fails for want of space (a 3 MB tmpfs, mounted as root): one error
/// naming the file, a non-zero exit on every rank, the previous checkpoints whole and no
/// temporary file left.
@Suite(.serialized, .enabled(if: Job.mpirunAvailable && getuid() == 0, "needs mpirun and root (to mount a small tmpfs)"))
struct DiskFullTests {
    let fixture = TrainFixture.paths

    @Test func aFullDiskEndsTheRunKeepingThePreviousCheckpoints() throws {
        let mountPoint = TrainFixture.runDirectory("small-disk")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mount = try runProcess("/bin/mount", ["-t", "tmpfs", "-o", "size=3m", "tmpfs", mountPoint])
        guard mount.status == 0 else {
            print("DiskFullTests: skipped, cannot mount a tmpfs here (status \(mount.status))")
            return
        }
        defer { _ = try? runProcess("/bin/umount", [mountPoint]) }

        // Hidden 64, ffn 256: ~1.1 MB a checkpoint (parameters and both moments), so the third fails.
        let out = mountPoint + "/run"
        let job = try Job.train(ranks: 2, ["--train", fixture.train, "--out", out, "--layers", "2", "--hidden", "64",
                                           "--heads", "2", "--ffn", "256", "--max-length", "16", "--global-batch", "32",
                                           "--max-steps", "20", "--seed", "5", "--save-every", "2", "--keep", "10"], timeout: 60)
        #expect(job.status != 0 && !job.timedOut, "status \(job.status): \(job.stderr)")
        let saved = RunDirectory(path: out).stepCheckpoints()
        #expect(saved.count >= 1, "no checkpoint fit: \(job.stderr)")
        let failed = RunDirectory(path: out).stepPath((saved.last?.step ?? 0) + 2)
        #expect(job.stderrCount("cannot write checkpoint \(failed): ") == 1, "stderr: \(job.stderr)")
        for checkpoint in saved { _ = try checkpointState(checkpoint.path) }
        let left = try FileManager.default.contentsOfDirectory(atPath: out)
        #expect(left.allSatisfy { !$0.hasSuffix(".tmp") }, "left behind: \(left)")
        #expect(!left.contains("final.h5"))
    }
}
