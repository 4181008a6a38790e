import Foundation
import Testing
import TxfDist

/// Real multi-rank runs: `launch/txf-mpirun -n N txf-mpi-selftest <scenario>`, checked against
/// closed-form sums. Serialized: each job already oversubscribes the machine's cores.
@Suite(.serialized, .enabled(if: Job.mpirunAvailable, "mpirun not on PATH; install openmpi-bin"))
struct MultiRankTests {
    /// The lines every rank of a `W`-rank `all` run must print, from the scenario's formulas.
    static func expectedLines(worldSize w: Int) -> [String] {
        let triangle = w * (w + 1) / 2       // Σ (r+1)
        let pairs = w * (w - 1) / 2          // Σ r
        let root = w - 1
        let broadcastBytes = (0..<100_003).map { UInt8((7 * $0 + root) % 251) }
        let fnv = String(fnv1a64(broadcastBytes), radix: 16)
        return (0..<w).flatMap { r in [
            "sums rank \(r): piece=default total=\(triangle * 4500)",
            "sums rank \(r): piece=300 total=\(triangle * 4500)",
            "doubles rank \(r): \(Double(pairs)) \(Double(w)) \(0.25 * Double(pairs)) single=\(Double(pairs) + 0.5 * Double(w))",
            "int64 rank \(r): \((Int64(1) << 40) * Int64(triangle)) \(-pairs)",
            "shards rank \(r): ok",
            "broadcast rank \(r): bytes=100003 fnv=\(fnv) text=hello from rank \(root) of \(w) ✓",
            "agree rank \(r): ok",
            "local-ranks rank \(r): \(w) of \(w)",
            "done rank \(r)",
        ] }
    }

    @Test("sums, shards, broadcast and agreement on 2 and 4 ranks", arguments: [2, 4])
    func collectives(ranks: Int) throws {
        let job = try Job.run("txf-mpi-selftest", ranks: ranks, ["all"])
        #expect(job.status == 0, "stderr: \(job.stderr)")
        let printed = Set(job.lines)
        for line in Self.expectedLines(worldSize: ranks) {
            #expect(printed.contains(line), "missing '\(line)'\nstdout:\n\(job.stdout)")
        }
        #expect(job.lines.count == ranks * 9, "stdout:\n\(job.stdout)")
    }

    @Test("a disagreement fails every rank with one message naming the ranks and the values")
    func agreementMismatch() throws {
        let job = try Job.run("txf-mpi-selftest", ranks: 4, ["agree-mismatch"])
        #expect(job.status != 0)
        #expect(!job.timedOut)
        let short = "ranks disagree on dataset fingerprint: ranks 0, 1, 2 have \"alpha\", rank 3 has \"beta\""
        for rank in 0..<4 {
            #expect(job.lines.contains("agree-mismatch rank \(rank) caught: \(short)"), "stdout:\n\(job.stdout)")
        }
        // The second, long value is shown as an excerpt at the first differing byte, once.
        let long = "txf: ranks disagree on config: ranks 0, 1, 2 have `…\", \"learning_rate\": 0.001, \"steps\": 10}` at byte 137 of 152, rank 3 has `…\", \"learning_rate\": 0.002, \"steps\": 10}` at byte 137 of 152"
        #expect(job.stderrCount(long) == 1, "stderr:\n\(job.stderr)")
        #expect(job.stderrCount("txf:") == 1, "stderr:\n\(job.stderr)")
        #expect(!job.stdout.contains("done rank"))
    }

    @Test("abort on one rank ends the ranks waiting in a barrier within seconds", arguments: [(2, 0), (4, 1)])
    func abortOnOneRank(ranks: Int, victim: Int) throws {
        let job = try Job.run("txf-mpi-selftest", ranks: ranks, ["abort-on-rank", String(victim)], timeout: 30)
        #expect(job.status != 0)
        #expect(!job.timedOut)
        #expect(job.seconds < 15, "took \(job.seconds) s")
        #expect(job.stderrCount("txf: rank \(victim): scenario abort on rank \(victim)") == 1, "stderr:\n\(job.stderr)")
        #expect(job.stderrCount("txf:") == 1, "stderr:\n\(job.stderr)")
        #expect(!job.stdout.contains("done rank"))
    }

    @Test("an error thrown on one rank ends ranks waiting in an all-reduce")
    func throwOnOneRank() throws {
        let job = try Job.run("txf-mpi-selftest", ranks: 4, ["throw-on-rank", "2"], timeout: 30)
        #expect(job.status != 0)
        #expect(!job.timedOut)
        #expect(job.seconds < 15, "took \(job.seconds) s")
        #expect(job.stderrCount("txf: rank 2: scenario failure on rank 2") == 1, "stderr:\n\(job.stderr)")
        #expect(job.stderrCount("txf:") == 1, "stderr:\n\(job.stderr)")
    }

    @Test("a rank that crashes ends the others within seconds")
    func crashOnOneRank() throws {
        let job = try Job.run("txf-mpi-selftest", ranks: 4, ["crash-on-rank", "3"], timeout: 30)
        #expect(job.status != 0)
        #expect(!job.timedOut)
        #expect(job.seconds < 15, "took \(job.seconds) s")
        #expect(job.stderr.contains("scenario crash on rank 3"), "stderr:\n\(job.stderr)")
    }

    @Test("an unknown scenario is one clear error and a non-zero exit")
    func unknownScenario() throws {
        let job = try Job.run("txf-mpi-selftest", ranks: 2, ["no-such-scenario"], timeout: 30)
        #expect(job.status != 0)
        #expect(job.stderr.contains("unknown scenario 'no-such-scenario'"), "stderr:\n\(job.stderr)")
    }
}
