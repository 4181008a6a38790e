import Foundation

/// Naming ranks by host in messages, so that on a cluster a failure says which machine's disk or
/// copy of a file is at fault.
extension Communicator {
    /// This host alone: a communicator that has not gathered its ranks' hosts (one process, the
    /// threads of a test) runs on one machine.
    public var hosts: [String] { Array(repeating: hostName(), count: worldSize) }

    /// Whether the ranks run on more than one host (so messages name hosts).
    public var spansHosts: Bool { Set(hosts).count > 1 }

    /// "rank 2", or "rank 2 (host node-b)" when the job spans several hosts (`spansHosts`).
    public func rankName(_ rank: Int) -> String {
        spansHosts ? "rank \(rank) (host \(host(of: rank)))" : "rank \(rank)"
    }

    /// The host of `rank`, "?" when unknown.
    public func host(of rank: Int) -> String {
        let all = hosts
        return rank < all.count ? all[rank] : "?"
    }
}

/// gethostname(2)'s name (no DNS lookup).
public func hostName() -> String {
    var bytes = [CChar](repeating: 0, count: 256)
    guard gethostname(&bytes, bytes.count - 1) == 0 else { return "unknown" }
    return String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
