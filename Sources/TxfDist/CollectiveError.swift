/// An error that every rank raised together, with the same message (from `together`, `agree`,
/// or a check on numbers every rank holds alike): `Job.run` prints it once, on rank 0, and every
/// rank exits 1, so nobody waits in a collective.
public struct CollectiveError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension Communicator {
    /// Runs `body` on every rank and makes its failure collective.
    ///
    /// When `body` throws on any rank, every rank throws one `CollectiveError` carrying the
    /// message of the lowest failing rank (prefixed with that rank when not all ranks failed,
    /// and with its host when the job spans several: `rank 2 (host node-b): data/train.h5: no
    /// such file`), so a missing file on one rank ends the whole job with one line. `body` must
    /// not itself call collectives (a rank that threw early would leave the others waiting in them).
    public func together<T>(_ body: () throws -> T) throws -> T {
        var outcome: Result<T, any Error>
        do { outcome = .success(try body()) } catch { outcome = .failure(error) }
        var mine: [UInt8] = []
        if case .failure(let error) = outcome { mine = [1] + Array(Job.text(of: error).utf8) }
        let all = allGather(mine)
        let failed = all.enumerated().filter { !$0.element.isEmpty }
        guard let first = failed.first else { return try outcome.get() }
        let message = String(decoding: first.element.dropFirst(), as: UTF8.self)
        let everyoneSaidIt = failed.count == worldSize && failed.allSatisfy { $0.element == first.element }
        throw CollectiveError(everyoneSaidIt || worldSize == 1 ? message : "\(rankName(first.offset)): \(message)")
    }
}
