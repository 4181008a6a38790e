import Foundation
import Testing

/// The watchdog (`StallWatch`): a rank stopped with SIGSTOP ends the job within the stall
/// timeout and a few seconds, with one line naming it and its host, exit status 75, while the
/// ranks that wait for it sleep instead of spinning.
@Suite(.serialized, .enabled(if: Job.mpirunAvailable, "mpirun not on PATH"))
struct StallTests {
    /// What the test did to the job, as it ran (`Job.run` asks `killWhen` every 2 ms).
    final class Fault: @unchecked Sendable {
        let ranks = RankProcesses()
        var stoppedAt: Date?
        /// CPU seconds of the waiting ranks at the stop, and `cpuWindow` seconds later.
        var cpuAtStop: [Int: Double] = [:]
        var cpuLater: [Int: Double] = [:]
        static let cpuWindow = 2.0
    }

    /// Stops `victim` once all `count` ranks are known and have run `settle` seconds, then
    /// samples the others' CPU time; never asks for the job to be killed.
    func stopper(_ fault: Fault, victim: Int, count: Int, settle: Double, known: @escaping () -> Void) -> () -> Bool {
        var allKnownAt: Date?
        return {
            if fault.ranks.pids.count < count { known(); return false }
            allKnownAt = allKnownAt ?? Date()
            guard let stoppedAt = fault.stoppedAt else {
                if Date().timeIntervalSince(allKnownAt!) > settle, let pid = fault.ranks.pids[victim] {
                    kill(pid, SIGSTOP)
                    fault.stoppedAt = Date()
                    // The first 0.2 s include the spinning part of the wait and the last step.
                    usleep(200_000)
                    for (rank, pid) in fault.ranks.pids where rank != victim {
                        fault.cpuAtStop[rank] = RankProcesses.cpuSeconds(pid)
                    }
                }
                return false
            }
            if fault.cpuLater.isEmpty && Date().timeIntervalSince(stoppedAt) > 0.2 + Fault.cpuWindow {
                for (rank, pid) in fault.ranks.pids where rank != victim {
                    fault.cpuLater[rank] = RankProcesses.cpuSeconds(pid)
                }
            }
            return false
        }
    }

    @Test("SIGSTOP of rank 2 of 4: one line naming it and its host, exit 75, within seconds, no spinning")
    func stoppedRankIsNamed() throws {
        let directory = try scratchDirectory("stall")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fault = Fault()
        defer { fault.ranks.release() }
        let timeout = 3.0
        let job = try Job.run("txf-mpi-selftest", ranks: 4, ["--stall-timeout", "3", "sum-loop", directory], timeout: 60,
                              killWhen: stopper(fault, victim: 2, count: 4, settle: 0.5) {
                                  fault.ranks.read(directory: directory, count: 4)
                              })
        let ended = Date()
        let stoppedAt = try #require(fault.stoppedAt, "rank 2 was never stopped: \(job.output)")
        let faultToExit = ended.timeIntervalSince(stoppedAt)
        print("stall: SIGSTOP of rank 2 → job ended after \(String(format: "%.2f", faultToExit)) s (--stall-timeout 3)")
        #expect(job.status == 75, "\(job.output)")
        #expect(!job.timedOut)
        // The deadline, the 2 s grace for the answers, and a loaded machine's slowness.
        #expect(faultToExit < timeout + 2 + 8, "took \(faultToExit) s")
        let lines = job.stderr.split(separator: "\n").filter { $0.contains("stall") }
        #expect(lines.count == 1, "stderr:\n\(job.stderr)")
        // The live ranks wait in one collective, or rank 0 one behind ranks 1 and 3 (they could
        // finish the one rank 2 had already sent its part of): the line says where each waits.
        #expect(lines.first?.hasPrefix("txf: stall: rank 2 (host \(hostName())) stopped answering; rank") == true,
                "stderr:\n\(job.stderr)")
        #expect(["0", "1", "3"].allSatisfy { rank in lines.first?.contains(" \(rank)") == true }, "stderr:\n\(job.stderr)")
        #expect(lines.first?.contains("training step") == true, "stderr:\n\(job.stderr)")
        // Every rank is gone, the stopped one too (Open MPI kills it last, up to ~1 s later).
        let gone = Date().addingTimeInterval(5)
        while fault.ranks.pids.values.contains(where: RankProcesses.isAlive) && Date() < gone { usleep(50_000) }
        for (rank, pid) in fault.ranks.pids {
            #expect(!RankProcesses.isAlive(pid), "rank \(rank) (PID \(pid)) still runs")
        }
        // Waiting ranks sleep between polls: well under a tenth of a core each (spinning is 1).
        for rank in [0, 1, 3] {
            guard let before = fault.cpuAtStop[rank], let after = fault.cpuLater[rank] else {
                Issue.record("no CPU sample of rank \(rank)")
                continue
            }
            let share = (after - before) / Fault.cpuWindow
            print("stall: rank \(rank) used \(String(format: "%.1f", share * 100)) % of a core while waiting")
            #expect(share < 0.15, "rank \(rank) used \(share * 100) % of a core while waiting")
        }
    }

    @Test("txf-train --stall-timeout 2: SIGSTOP of rank 1 mid-run ends the job naming it and the step")
    func trainingRunWithStoppedRank() throws {
        guard let txf = TestPaths.built("txf") else { throw JobError("txf not built") }
        let directory = try scratchDirectory("train-stall")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let data = try tinyDataset(in: directory, txf: txf)
        let out = directory + "/run"
        let fault = Fault()
        defer { fault.ranks.release() }
        let flags = ["--train", data, "--out", out, "--layers", "1", "--hidden", "16", "--heads", "2", "--ffn", "32",
                     "--max-length", "16", "--global-batch", "8", "--max-steps", "100000", "--log-every", "1",
                     "--precision", "fp32", "--stall-timeout", "2"]
        let job = try Job.run("txf-train", ranks: 2, flags, timeout: 90,
                              killWhen: stopper(fault, victim: 1, count: 2, settle: 0) {
                                  // Once steps are being taken: two train lines in metrics.jsonl, so that rank 0
                                  // is past the first step's closing collectives (with one line, a loaded
                                  // machine could stop rank 1 while rank 0 was still in step 0, "first step").
                                  let metrics = (try? String(contentsOfFile: out + "/metrics.jsonl", encoding: .utf8)) ?? ""
                                  if metrics.components(separatedBy: "\"event\":\"train\"").count > 2 {
                                      fault.ranks.find(commandLineContaining: out)
                                  }
                              })
        let stoppedAt = try #require(fault.stoppedAt, "rank 1 was never stopped: \(job.output)")
        let faultToExit = Date().timeIntervalSince(stoppedAt)
        print("stall: txf-train, SIGSTOP of rank 1 → job ended after \(String(format: "%.2f", faultToExit)) s (--stall-timeout 2)")
        #expect(job.status == 75, "\(job.output)")
        // The deadline, the 2 s grace, and what a loaded machine adds (the stopped rank, continued
        // by Open MPI, holds the output pipes until it ends; ~4 s on a quiet machine).
        #expect(faultToExit < 2 + 2 + 16, "took \(faultToExit) s")
        let lines = job.stderr.split(separator: "\n").filter { $0.contains("stall") }
        #expect(lines.count == 1, "stderr:\n\(job.stderr)")
        #expect(lines.first?.hasPrefix("txf: stall: rank 1 (host \(hostName())) stopped answering; rank 0 waited") == true,
                "stderr:\n\(job.stderr)")
        #expect(lines.first?.contains(", training step (--stall-timeout 2)") == true, "stderr:\n\(job.stderr)")
    }

    /// A 64-row prepared dataset of two-word sentences (`txf prepare`), its vocab beside it.
    func tinyDataset(in directory: String, txf: URL) throws -> String {
        let words = ["good", "bad", "film", "plot"]
        try (["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + words).joined(separator: "\n")
            .appending("\n").write(toFile: directory + "/vocab.txt", atomically: true, encoding: .utf8)
        let rows = (0 ..< 64).map { "\(words[$0 % 2]) \(words[2 + $0 % 3 % 2])\t\($0 % 2)" }
        try (["sentence\tlabel"] + rows).joined(separator: "\n").appending("\n")
            .write(toFile: directory + "/train.tsv", atomically: true, encoding: .utf8)
        let prepared = try Job.run(executable: txf, ["prepare", "--input", directory + "/train.tsv", "--vocab",
                                                     directory + "/vocab.txt", "--output", directory + "/train.h5",
                                                     "--max-length", "16"])
        guard prepared.status == 0 else { throw JobError("txf prepare failed: \(prepared.output)") }
        return directory + "/train.h5"
    }
}
