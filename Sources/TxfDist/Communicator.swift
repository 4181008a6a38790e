import Foundation
import TxfCore

/// The collectives data-parallel training needs, over a fixed group of ranks.
///
/// Every rank must call every collective in the same order with matching sizes; a rank that
/// skips one leaves the others waiting forever. Failures that only one rank sees end the whole
/// job through `abort(_:)` (or `runOrAbort(_:)`), never by returning early.
///
/// Two implementations: `MPICommunicator` (one rank per process, under `mpirun`, or a
/// singleton without it) and `SingleProcessCommunicator` (rank 0 of 1, no MPI at all), so most
/// tests need no `mpirun`.
public protocol Communicator: AnyObject {
    /// This process's rank, 0 ..< worldSize.
    var rank: Int { get }
    /// Number of ranks in the job.
    var worldSize: Int { get }
    /// Ranks sharing this machine (this one included): BLAS threads = cores / localRankCount.
    var localRankCount: Int { get }

    /// Sums `buffer` element-wise over all ranks, in place; every rank gets the sum.
    /// - Parameter buffer: [count], the same count on every rank (e.g. the flat gradients).
    func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>)

    /// Starts summing `buffer` over all ranks in place and returns at once (MPI_Iallreduce).
    ///
    /// The buffer must stay allocated and untouched until `wait()` returns: take it from a
    /// long-lived allocation, never from an Array's `withUnsafe…` closure (see INTEROP.md).
    func startAllReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) -> AllReduceRequest

    /// Sums `buffer` over all ranks, leaving each sum only with its owner: afterwards the
    /// floats `layout` gives this rank hold the sum over ranks; the others are unspecified.
    /// - Parameter buffer: [layout.count], the same layout on every rank.
    func reduceScatterSum(_ buffer: UnsafeMutableBufferPointer<Float>, layout: ShardLayout)

    /// Copies every rank's owned floats (`layout`) to every rank, in place: afterwards all
    /// ranks hold the same buffer.
    func allGather(_ buffer: UnsafeMutableBufferPointer<Float>, layout: ShardLayout)

    /// Sums small Double counters or metrics (loss sums, token counts) over all ranks, in place.
    func allReduceSum(_ values: inout [Double])

    /// Sums Int64 counters exactly over all ranks, in place.
    func allReduceSum(_ values: inout [Int64])

    /// Element-wise maximum over all ranks, in place (e.g. the slowest rank's step time).
    func allReduceMax(_ values: inout [Double])

    /// Copies `bytes` from rank `root` to every rank; other ranks' arrays take its length.
    func broadcast(_ bytes: inout [UInt8], root: Int)

    /// Every rank's `bytes` (lengths may differ), indexed by rank, on every rank.
    func allGather(_ bytes: [UInt8]) -> [[UInt8]]

    /// Returns once every rank has called it.
    func barrier()

    /// Ends every rank of the job: prints `txf: rank R: message` to stderr once, then stops.
    func abort(_ message: String) -> Never
}

extension Communicator {
    /// Whether this rank prints progress and writes files (rank 0 only).
    public var isRoot: Bool { rank == 0 }

    /// Runs `body`; if it throws on any rank, the whole job ends with the error's message.
    ///
    /// An error seen by one rank alone aborts the job (`abort(_:)`), so the other ranks are not
    /// left waiting in a collective. An error every rank threw together (a failed `agree`) is
    /// printed once, by rank 0, and every rank exits non-zero.
    public func runOrAbort<T>(_ body: () throws -> T) -> T {
        do {
            return try body()
        } catch {
            endJob(for: error)
        }
    }

    /// Ends every rank of the job for `error`, printing its message once.
    ///
    /// For an error every rank threw together (from `agree`), rank 0 prints `txf: message`
    /// and the job ends; for any other error this rank prints `txf: rank R: message` and
    /// aborts the job (`abort(_:)`). Call it from a top-level `catch` on every rank.
    public func endJob(for error: any Error) -> Never {
        let message = userMessage(for: error)
        if SharedFailures.contains(message), let group = self as? FailsTogether {
            group.failTogether(message)
        }
        abort(message)
    }

    /// Whether every rank threw `error` together (a failed `agree`), so that each rank may
    /// handle it alike without a collective, and rank 0 alone should print it.
    public func isSharedFailure(_ error: any Error) -> Bool {
        SharedFailures.contains(userMessage(for: error))
    }
}

/// The one line a user sees for `error`: a `TxfError`'s message, else the error's description.
func userMessage(for error: any Error) -> String {
    if let txf = error as? TxfError { return txf.message }
    return String(describing: error)
}

/// Communicators that can end the job for a failure every rank saw, printing it once.
protocol FailsTogether {
    func failTogether(_ message: String) -> Never
}

/// Messages of errors that every rank threw from the same collective (failed agreements), so
/// `runOrAbort` prints them once instead of once per rank.
enum SharedFailures {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var messages: Set<String> = []

    static func record(_ message: String) {
        lock.lock(); defer { lock.unlock() }
        messages.insert(message)
    }

    static func contains(_ message: String) -> Bool {
        lock.lock(); defer { lock.unlock() }
        return messages.contains(message)
    }
}

/// Writes one line to stderr in a single `write` so lines from different ranks do not interleave.
func writeStandardError(_ line: String) {
    fflush(nil)
    var text = line
    if !text.hasSuffix("\n") { text += "\n" }
    text.withCString { pointer in
        _ = write(2, pointer, strlen(pointer))
    }
}
