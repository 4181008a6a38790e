/// How many BLAS threads a rank uses, and why.
///
/// The rule is cores on the node / ranks on the node, but never more than the cores this
/// process may run on: mpirun binds each rank to one core when it starts at most as many
/// ranks as cores (so `mpirun -n 1` gets a 1-core mask and 2 threads would share that core;
/// launch a single rank with `--bind-to none` to use the whole node), and leaves ranks unbound
/// beyond that (4 ranks on 2 cores see both cores, and OpenBLAS alone would start 2 threads in
/// each). Hence threads = max(1, min(affinity cores, online cores / ranks on node)).
public struct BLASThreadPlan: Equatable, Sendable, Codable {
    /// Where the thread count came from.
    public enum Source: String, Equatable, Sendable, Codable {
        /// The cores / ranks rule.
        case rule
        /// An explicit override (`--blas-threads`, `txf bench --threads`).
        case flag
        /// The `TXF_BLAS_THREADS` environment variable.
        case environment
    }

    /// Threads OpenBLAS is told to use.
    public var threads: Int
    /// Cores online on the node.
    public var nodeCores: Int
    /// Cores in this process's affinity mask.
    public var allowedCores: Int
    /// Ranks sharing the node.
    public var ranksOnNode: Int
    public var source: Source

    public init(threads: Int, nodeCores: Int, allowedCores: Int, ranksOnNode: Int, source: Source) {
        self.threads = threads
        self.nodeCores = nodeCores
        self.allowedCores = allowedCores
        self.ranksOnNode = ranksOnNode
        self.source = source
    }

    /// The cores / ranks rule: max(1, min(allowedCores, nodeCores / ranksOnNode)).
    public static func ruleThreads(nodeCores: Int, allowedCores: Int, ranksOnNode: Int) -> Int {
        max(1, min(allowedCores, nodeCores / max(1, ranksOnNode)))
    }

    /// Resolves the plan: `override` wins, then `TXF_BLAS_THREADS` (`environmentValue`), then
    /// the rule.
    ///
    /// - Throws: `TxfError` when the override or the variable is not a positive integer.
    public static func resolve(
        nodeCores: Int, allowedCores: Int, ranksOnNode: Int,
        override: Int?, environmentValue: String?
    ) throws -> BLASThreadPlan {
        let ranks = max(1, ranksOnNode)
        func plan(_ threads: Int, _ source: Source) -> BLASThreadPlan {
            BLASThreadPlan(threads: threads, nodeCores: nodeCores, allowedCores: allowedCores,
                           ranksOnNode: ranks, source: source)
        }
        if let override {
            guard override >= 1 else { throw TxfError("BLAS threads must be at least 1, got \(override)") }
            return plan(override, .flag)
        }
        if let text = environmentValue, !text.isEmpty {
            guard let value = Int(text), value >= 1 else {
                throw TxfError("TXF_BLAS_THREADS must be a positive integer, got '\(text)'")
            }
            return plan(value, .environment)
        }
        return plan(ruleThreads(nodeCores: nodeCores, allowedCores: allowedCores, ranksOnNode: ranks), .rule)
    }

    /// "1 thread per rank (2 cores, 2 ranks on this node)".
    public var summary: String {
        let count = threads == 1 ? "1 thread" : "\(threads) threads"
        let ranks = ranksOnNode == 1 ? "1 rank" : "\(ranksOnNode) ranks"
        var detail = "\(nodeCores) cores, \(ranks) on this node"
        // Only worth saying when the mask, not the rule, set the count (mpirun -n 1 binds).
        if allowedCores < nodeCores / ranksOnNode {
            detail += ", bound to \(allowedCores) (mpirun --bind-to none to use more)"
        }
        switch source {
        case .rule: break
        case .flag: detail += ", set by flag"
        case .environment: detail += ", set by TXF_BLAS_THREADS"
        }
        return "\(count) per rank (\(detail))"
    }
}
