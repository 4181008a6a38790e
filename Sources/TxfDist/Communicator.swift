import Foundation
import TxfCore

/// The collectives data-parallel training needs, over a fixed group of ranks.
///
/// Every rank must call every collective in the same order with matching sizes; a rank that
/// skips one leaves the others waiting forever. Failures that only one rank sees end the whole
/// job through `abort(_:)` (or by throwing out of `Job.run`), never by returning early; a
/// failure every rank sees together is a `CollectiveError` (`together`, `agree`).
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
    /// Every rank's host name, indexed by rank, for messages (`Communicator+Hosts.swift`).
    var hosts: [String] { get }

    /// Sums `buffer` element-wise over all ranks, in place; every rank gets the sum.
    /// - Parameter buffer: [count], the same count on every rank (e.g. the flat gradients).
    func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>)

    /// Sums `buffer` over all ranks, leaving each sum only with its owner: afterwards the
    /// floats `layout` gives this rank hold the sum over ranks; the others are unspecified.
    /// - Parameter buffer: [layout.count], the same layout on every rank.
    func reduceScatterSum(_ buffer: UnsafeMutableBufferPointer<Float>, layout: ShardLayout)

    /// `reduceScatterSum` called from a thread that runs beside this rank's computation (the
    /// gradient reduction behind backward): the same messages and the same sums, bit for bit,
    /// but its waits sleep between polls from the start instead of spinning first, so the
    /// computing threads keep their cores. The caller makes sure no other thread of this
    /// process calls a collective meanwhile.
    func reduceScatterSumBesideComputation(_ buffer: UnsafeMutableBufferPointer<Float>, layout: ShardLayout)

    /// Copies every rank's owned floats (`layout`) to every rank, in place: afterwards all
    /// ranks hold the same buffer.
    func allGather(_ buffer: UnsafeMutableBufferPointer<Float>, layout: ShardLayout)

    /// `allGather` of 16-bit words (bf16 parameters): the same ownership, half the bytes.
    func allGather(_ buffer: UnsafeMutableBufferPointer<UInt16>, layout: ShardLayout)

    /// Sums small Double counters or metrics (loss sums, token counts) over all ranks, in place.
    func allReduceSum(_ values: inout [Double])

    /// Sums Int64 counters exactly over all ranks, in place.
    func allReduceSum(_ values: inout [Int64])

    /// Copies `bytes` from rank `root` to every rank; other ranks' arrays take its length.
    func broadcast(_ bytes: inout [UInt8], root: Int)

    /// Every rank's `bytes` (lengths may differ), indexed by rank, on every rank.
    func allGather(_ bytes: [UInt8]) -> [[UInt8]]

    /// Returns once every rank has called it.
    func barrier()

    /// Ends every rank of the job: prints `txf: rank R: message` to stderr once, then stops.
    func abort(_ message: String) -> Never

    /// The deadline of this rank's collectives and the phase it is in (`StallWatch`); nil
    /// where collectives cannot stall (one process, threads in a test).
    var watch: StallWatch? { get }
}

extension Communicator {
    public var watch: StallWatch? { nil }

    /// Where no wait spins (one process, threads in a test), the plain reduce-scatter.
    public func reduceScatterSumBesideComputation(_ buffer: UnsafeMutableBufferPointer<Float>, layout: ShardLayout) {
        reduceScatterSum(buffer, layout: layout)
    }

    /// Whether this rank prints progress and writes files (rank 0 only).
    public var isRoot: Bool { rank == 0 }
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
