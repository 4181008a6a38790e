import Foundation
import Testing

/// Every failure reaches the user through launch/txf-mpirun: a rank killed by a signal is
/// named, an argument error only a non-zero rank sees is printed, and ranks running different
/// programs fail at once instead of waiting in each other's collectives.
@Suite(.serialized, .enabled(if: Job.mpirunAvailable, "mpirun not on PATH"))
struct ErrorReportingTests {
    @Test("SIGKILL of rank 2: txf-mpirun names the rank, its host and the signal")
    func killedRankIsNamed() throws {
        let directory = try scratchDirectory("killed")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let ranks = RankProcesses()
        defer { ranks.release() }
        var killedAt: Date?
        let job = try Job.run("txf-mpi-selftest", ranks: 4, ["sum-loop", directory], timeout: 60, killWhen: {
            ranks.read(directory: directory, count: 4)
            if killedAt == nil, ranks.pids.count == 4, let pid = ranks.pids[2] {
                usleep(300_000)
                kill(pid, SIGKILL)
                killedAt = Date()
            }
            return false
        })
        let ended = Date()
        let at = try #require(killedAt, "rank 2 was never killed: \(job.output)")
        print("killed rank: SIGKILL of rank 2 → job ended after \(String(format: "%.2f", ended.timeIntervalSince(at))) s")
        #expect(job.status == 128 + SIGKILL, "\(job.output)")
        #expect(ended.timeIntervalSince(at) < 15)
        // Open MPI 4.1 reports the PID as 0 at times, then the line leaves it out.
        let line = job.stderr.split(separator: "\n").first { $0.hasPrefix("txf-mpirun: rank 2") }
        let named = ["txf-mpirun: rank 2 (PID \(ranks.pids[2]!)) on \(hostName()) ended by signal 9 (Killed)",
                     "txf-mpirun: rank 2 on \(hostName()) ended by signal 9 (Killed)"]
        #expect(line.map { named.contains(String($0)) } == true,
                "stderr:\n\(job.stderr)")
        // mpirun's banners are filtered out: only that line.
        #expect(!job.stderr.contains("----"), "stderr:\n\(job.stderr)")
    }

    @Test("an argument error only rank 1 sees is printed, with the usage status 64")
    func argumentErrorOnRankOneIsPrinted() throws {
        guard let train = TestPaths.built("txf-train") else { throw JobError("txf-train not built") }
        let directory = try scratchDirectory("flags")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // MPMD: rank 0 has good flags (and waits for rank 1 in MPI's start-up), rank 1 a typo.
        let job = try Job.run(executable: TestPaths.launcher,
                              ["-n", "1", train.path, "--train", directory + "/none.h5", "--out", directory + "/run",
                               ":", "-n", "1", train.path, "--train", directory + "/none.h5", "--out", directory + "/run",
                               "--lrr", "1"], timeout: 60)
        #expect(job.status == 64, "\(job.output)")
        #expect(!job.timedOut)
        #expect(job.stderr.contains("txf: rank 1: Error: Unknown option '--lrr'. Did you mean '--lr'?"), "stderr:\n\(job.stderr)")
    }

    @Test("an MPMD launch of txf-train and txf evaluate fails in seconds naming who runs what")
    func mixedProgramsFailFast() throws {
        guard let train = TestPaths.built("txf-train"), let txf = TestPaths.built("txf") else {
            throw JobError("txf-train or txf not built")
        }
        let directory = try scratchDirectory("mpmd")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let job = try Job.run(executable: TestPaths.launcher,
                              ["-n", "1", train.path, "--train", directory + "/none.h5", "--out", directory + "/run",
                               ":", "-n", "1", txf.path, "evaluate", "--model", directory + "/none.h5",
                               "--data", directory + "/none.h5"], timeout: 60)
        #expect(job.status == 1, "\(job.output)")
        #expect(job.seconds < 20, "took \(job.seconds) s")
        #expect(job.stderrCount("txf: ranks run different programs: rank 0 runs txf-train, rank 1 runs txf evaluate") == 1,
                "stderr:\n\(job.stderr)")
    }
}
