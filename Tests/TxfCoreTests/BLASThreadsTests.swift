import Testing
import TxfCore

@Suite("BLAS threads")
struct BLASThreadsTests {
    /// cores / ranks, capped by the affinity mask, at least 1.
    @Test(arguments: [
        // (node cores, allowed cores, ranks on node, expected threads)
        (2, 2, 1, 2),    // one process, unbound: both cores
        (2, 1, 1, 1),    // mpirun -n 1 binds to one core: 1 (use --bind-to none for 2)
        (2, 1, 2, 1),    // mpirun -n 2: one core each
        (2, 2, 4, 1),    // mpirun -n 4 --oversubscribe: unbound, 1 each (not 0, not 2)
        (16, 16, 4, 4),
        (16, 8, 1, 8),   // bound to one socket
        (16, 16, 3, 5),  // remainder cores stay idle rather than oversubscribe
    ])
    func rule(nodeCores: Int, allowedCores: Int, ranks: Int, expected: Int) {
        #expect(BLASThreadPlan.ruleThreads(nodeCores: nodeCores, allowedCores: allowedCores, ranksOnNode: ranks) == expected)
    }

    @Test func overridesWinInOrder() throws {
        let flag = try BLASThreadPlan.resolve(nodeCores: 2, allowedCores: 2, ranksOnNode: 4, override: 3, environmentValue: "2")
        #expect(flag.threads == 3)
        #expect(flag.source == .flag)
        let env = try BLASThreadPlan.resolve(nodeCores: 2, allowedCores: 2, ranksOnNode: 4, override: nil, environmentValue: "2")
        #expect(env.threads == 2)
        #expect(env.source == .environment)
        let rule = try BLASThreadPlan.resolve(nodeCores: 2, allowedCores: 2, ranksOnNode: 4, override: nil, environmentValue: "")
        #expect(rule.threads == 1)
        #expect(rule.source == .rule)
    }

    @Test func badCountsAreClearErrors() {
        #expect(throws: TxfError("TXF_BLAS_THREADS must be a positive integer, got 'two'")) {
            try BLASThreadPlan.resolve(nodeCores: 2, allowedCores: 2, ranksOnNode: 1, override: nil, environmentValue: "two")
        }
        #expect(throws: TxfError("TXF_BLAS_THREADS must be a positive integer, got '0'")) {
            try BLASThreadPlan.resolve(nodeCores: 2, allowedCores: 2, ranksOnNode: 1, override: nil, environmentValue: "0")
        }
        #expect(throws: TxfError("BLAS threads must be at least 1, got 0")) {
            try BLASThreadPlan.resolve(nodeCores: 2, allowedCores: 2, ranksOnNode: 1, override: 0, environmentValue: nil)
        }
    }

    @Test func summaries() {
        let shared = BLASThreadPlan(threads: 1, nodeCores: 2, allowedCores: 2, ranksOnNode: 2, source: .rule)
        #expect(shared.summary == "1 thread per rank (2 cores, 2 ranks on this node)")
        let bound = BLASThreadPlan(threads: 1, nodeCores: 2, allowedCores: 1, ranksOnNode: 1, source: .rule)
        #expect(bound.summary == "1 thread per rank (2 cores, 1 rank on this node, bound to 1 (mpirun --bind-to none to use more))")
        let pair = BLASThreadPlan(threads: 1, nodeCores: 2, allowedCores: 1, ranksOnNode: 2, source: .rule)
        #expect(pair.summary == "1 thread per rank (2 cores, 2 ranks on this node)")
        let env = BLASThreadPlan(threads: 4, nodeCores: 16, allowedCores: 16, ranksOnNode: 4, source: .environment)
        #expect(env.summary == "4 threads per rank (16 cores, 4 ranks on this node, set by TXF_BLAS_THREADS)")
    }
}
