import CMPI
import Foundation

/// The communicator over MPI_COMM_WORLD: one rank per process under `mpirun`, or a singleton
/// (rank 0 of 1) when the program is started without it.
///
/// MPI is initialised on first use of `world` and finalized at exit. Every MPI call is checked;
/// a failure prints `txf: rank R: MPI_<call> failed: <reason>` and aborts the job, so a broken
/// collective never hangs the other ranks.
///
/// Test processes should not touch `world`: use `SingleProcessCommunicator`, or spawn
/// `txf-mpi-selftest` / the program under `launch/txf-mpirun`. Open MPI's singleton start-up
/// forks an `orted` and was seen to stall a test process that also spawns child processes.
public final class MPICommunicator: Communicator, @unchecked Sendable {
    /// The process's only instance; creating it is collective (every rank must touch it).
    public static let world = MPICommunicator()

    public let rank: Int
    public let worldSize: Int
    public let localRankCount: Int

    /// Largest Float count per MPI call in `allReduceSum`.
    ///
    /// One 90 MB all-reduce runs slower per byte than 1–10 MB pieces (docs/ARCHITECTURE.md,
    /// "Measured facts"; here, on a loaded 2-core machine, 88 MB over 2 ranks took 384 ms in
    /// one call and 132 ms in 8 MB pieces: `txf-mpi-selftest bench 88`), so large buffers go as
    /// several calls of 8 MB.
    /// Set it before training starts, identically on every rank.
    public var allReducePieceElements: Int = 1 << 21

    /// Serialises `abort` so the message is printed once even if two threads fail together.
    let abortLock = NSLock()

    /// This rank's deadline and phase (`StallWatch`).
    public let stallWatch = StallWatch()
    public var watch: StallWatch? { stallWatch }
    /// Every rank's host name, indexed by rank, gathered at start-up for the watchdog's messages.
    public private(set) var hosts: [String] = []
    /// A duplicate of MPI_COMM_WORLD for the watchdog's status records, so they never match
    /// a collective's messages.
    private(set) var watchComm: MPI_Comm?

    private init() {
        _ = MPIRuntime.providedThreadLevel
        let comm = txf_mpi_comm_world()
        var rank: Int32 = 0
        var size: Int32 = 0
        MPI_Comm_rank(comm, &rank)
        MPI_Comm_size(comm, &size)
        self.rank = Int(rank)
        self.worldSize = Int(size)
        // Ranks sharing memory with this one: a communicator split by node, measured once here
        // (it is collective, and creating `world` is the one point every rank passes).
        var local: MPI_Comm?
        var localSize: Int32 = 1
        if MPI_Comm_split_type(comm, txf_mpi_comm_type_shared(), rank, txf_mpi_info_null(), &local) == MPI_SUCCESS {
            MPI_Comm_size(local, &localSize)
            MPI_Comm_free(&local)
        }
        self.localRankCount = Int(localSize)
        var duplicate: MPI_Comm?
        check(MPI_Comm_dup(comm, &duplicate), "MPI_Comm_dup of MPI_COMM_WORLD (the watchdog's communicator)")
        watchComm = duplicate
        agreeOnProgram()
    }

    /// The first collective of every txf program: ranks gather each other's program and host.
    /// Ranks running different programs (an MPMD launch of txf-train and txf evaluate) would
    /// wait in different collectives forever, so they end here, rank 0 printing which rank
    /// runs what, every rank exiting 1.
    private func agreeOnProgram() {
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, name.count - 1)
        let host = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let identities = allGather(Array("\(Job.program)\n\(host)".utf8)).map { String(decoding: $0, as: UTF8.self) }
        hosts = identities.map { $0.split(separator: "\n", maxSplits: 1).dropFirst().first.map(String.init) ?? "?" }
        let programs = identities.map { $0.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? "" }
        guard Set(programs).count > 1 else { return }
        if rank == 0 { writeStandardError("txf: \(Job.programMismatchMessage(programs))") }
        exit(1)
    }

    var comm: MPI_Comm { txf_mpi_comm_world() }

    /// Aborts the job with a message naming `call` when an MPI return code is not success.
    @inline(__always)
    func check(_ code: Int32, _ call: @autoclosure () -> String) {
        if code != MPI_SUCCESS {
            abort("\(call()) failed: \(MPIRuntime.errorString(code))")
        }
    }

    // MARK: - All-reduce

    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) {
        guard let base = buffer.baseAddress, !buffer.isEmpty else { return }
        stallWatch.begin()
        var start = 0
        while start < buffer.count {
            let count = min(allReducePieceElements, buffer.count - start)
            if worldSize.nonzeroBitCount == 1 {
                recursiveDoublingSum(base + start, count: count, type: txf_mpi_float(), "all-reduce of \(buffer.count) floats")
            } else {
                arriveTogether("all-reduce of \(buffer.count) floats")
                check(MPI_Allreduce(txf_mpi_in_place(), base + start, Int32(count),
                                    txf_mpi_float(), txf_mpi_sum(), comm),
                      "MPI_Allreduce of \(count) floats")
            }
            start += count
        }
        stallWatch.completed()
    }

    /// Waits (with the deadline) until every rank has arrived here, for the one blocking call
    /// left, MPI_Allreduce over a world size that is not a power of two: its non-blocking twin
    /// (libnbc) sums in another order, and the sums must keep their bits. Once all ranks are
    /// here the blocking call only waits as long as the sum takes.
    private func arriveTogether(_ what: @autoclosure () -> String) {
        complete(1, what()) { requests in check(MPI_Ibarrier(comm, requests), "MPI_Ibarrier (\(what()))") }
    }

    /// Starts non-blocking calls into `count` (≤ 2) requests with `post`, then waits for them
    /// all with the deadline (`wait`; `spins` false for a thread beside the computation).
    @inline(__always)
    func complete(_ count: Int, spins: Bool = true, _ what: @autoclosure () -> String,
                  _ post: (UnsafeMutablePointer<MPI_Request?>) -> Void) {
        withUnsafeTemporaryAllocation(of: MPI_Request?.self, capacity: 2) { requests in
            requests.initialize(repeating: nil)
            post(requests.baseAddress!)
            wait(requests.baseAddress!, count: Int32(count), spins: spins, what())
        }
    }

    /// Sums `count` values at `base` over a power-of-two number of ranks: in round k each rank
    /// swaps its partial sums with rank XOR 2ᵏ (MPI_Irecv and MPI_Isend) and adds them. Both
    /// partners compute a + b and b + a, the same number, so every rank ends with identical
    /// bits. Used instead of MPI_Allreduce, which here allocates a temporary buffer on every
    /// call (counted by `txf bench`), so that a training step allocates nothing.
    private func recursiveDoublingSum<T: AdditiveArithmetic>(_ base: UnsafeMutablePointer<T>, count: Int, type: MPI_Datatype?,
                                                             _ what: @autoclosure () -> String) {
        let incoming = scratch(bytes: count * MemoryLayout<T>.stride).bindMemory(to: T.self, capacity: count)
        var distance = 1
        while distance < worldSize {
            let partner = Int32(rank ^ distance)
            complete(2, what()) { requests in
                check(MPI_Irecv(incoming, Int32(count), type, partner, 9, comm, requests), "MPI_Irecv of \(count) values from rank \(partner) (\(what()))")
                check(MPI_Isend(base, Int32(count), type, partner, 9, comm, requests + 1), "MPI_Isend of \(count) values to rank \(partner) (\(what()))")
            }
            for i in 0 ..< count { base[i] += incoming[i] }
            distance *= 2
        }
    }

    /// A ring over the ranks, one chunk at a time: in W − 1 rounds each rank sends a piece to
    /// the next rank and adds the piece it receives from the previous one, so each rank ends
    /// holding the sum of its own piece (the bandwidth-optimal reduce-scatter). Written with
    /// point-to-point calls rather than MPI_Reduce_scatter, which here took twice as long for
    /// MiniLM's gradient and allocated a temporary buffer on every call; this allocates its
    /// scratch once.
    public func reduceScatterSum(_ buffer: UnsafeMutableBufferPointer<Float>, layout: ShardLayout) {
        ringReduceScatter(buffer, layout: layout, spins: true)
    }

    /// The same ring, waiting by sleeping between polls (see the protocol).
    public func reduceScatterSumBesideComputation(_ buffer: UnsafeMutableBufferPointer<Float>, layout: ShardLayout) {
        ringReduceScatter(buffer, layout: layout, spins: false)
    }

    private func ringReduceScatter(_ buffer: UnsafeMutableBufferPointer<Float>, layout: ShardLayout, spins: Bool) {
        precondition(layout.count == buffer.count && layout.worldSize == worldSize, "reduceScatterSum: layout does not fit")
        guard let base = buffer.baseAddress, worldSize > 1 else { return }
        stallWatch.begin()
        let w = worldSize, next = Int32((rank + 1) % w), previous = Int32((rank + w - 1) % w)
        let scratch = scratch(bytes: (layout.chunkElements / w + 16) * MemoryLayout<Float>.stride)
            .bindMemory(to: Float.self, capacity: layout.chunkElements / w + 16)
        for index in 0 ..< layout.chunkCount {
            let (start, counts, offsets) = layout.chunk(index)
            for round in 0 ..< w - 1 {
                let sent = (rank + 2 * w - round - 1) % w, received = (rank + 2 * w - round - 2) % w
                let incoming = Int(counts[received])
                complete(2, spins: spins, "reduce-scatter of \(buffer.count) floats") { requests in
                    check(MPI_Irecv(scratch, Int32(incoming), txf_mpi_float(), previous, 7, comm, requests),
                          "MPI_Irecv of a reduce-scatter piece (chunk \(index), round \(round))")
                    check(MPI_Isend(base + start + Int(offsets[sent]), counts[sent], txf_mpi_float(), next, 7, comm, requests + 1),
                          "MPI_Isend of a reduce-scatter piece (chunk \(index), round \(round))")
                }
                let target = base + start + Int(offsets[received])
                for i in 0 ..< incoming { target[i] += scratch[i] }
            }
        }
        stallWatch.completed()
    }

    /// Receive buffer of `reduceScatterSum` and the all-reduces, grown to the largest message
    /// seen and kept for the process's life (no allocation per step).
    private var scratchMemory: UnsafeMutableRawPointer?
    private var scratchBytes = 0

    private func scratch(bytes: Int) -> UnsafeMutableRawPointer {
        if let scratchMemory, scratchBytes >= bytes { return scratchMemory }
        scratchMemory?.deallocate()
        let fresh = UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 64), alignment: 64)
        scratchMemory = fresh
        scratchBytes = max(bytes, 64)
        return fresh
    }

    public func allGather(_ buffer: UnsafeMutableBufferPointer<Float>, layout: ShardLayout) {
        allGather(UnsafeMutableRawPointer(buffer.baseAddress), count: buffer.count, type: txf_mpi_float(), name: "floats", layout: layout)
    }

    public func allGather(_ buffer: UnsafeMutableBufferPointer<UInt16>, layout: ShardLayout) {
        allGather(UnsafeMutableRawPointer(buffer.baseAddress), count: buffer.count, type: txf_mpi_uint16(), name: "16-bit words", layout: layout)
    }

    /// All-gathers `count` elements of `type` at `base` by `layout`, one MPI_Iallgatherv per chunk.
    private func allGather(_ base: UnsafeMutableRawPointer?, count: Int, type: MPI_Datatype?, name: String, layout: ShardLayout) {
        precondition(layout.count == count && layout.worldSize == worldSize, "allGather: layout does not fit")
        guard let base else { return }
        var elementBytes: Int32 = 0
        MPI_Type_size(type, &elementBytes)
        stallWatch.begin()
        for index in 0 ..< layout.chunkCount {
            let (start, counts, offsets) = layout.chunk(index)
            counts.withUnsafeBufferPointer { counts in
                offsets.withUnsafeBufferPointer { offsets in
                    complete(1, "all-gather of \(count) \(name)") { requests in
                        check(MPI_Iallgatherv(txf_mpi_in_place(), 0, type, base + start * Int(elementBytes), counts.baseAddress,
                                              offsets.baseAddress, type, comm, requests),
                              "MPI_Iallgatherv of chunk \(index) (\(counts.reduce(0) { $0 + Int($1) }) \(name))")
                    }
                }
            }
        }
        stallWatch.completed()
    }

    public func allReduceSum(_ values: inout [Double]) {
        sum(&values, type: txf_mpi_double(), name: "doubles")
    }

    public func allReduceSum(_ values: inout [Int64]) {
        sum(&values, type: txf_mpi_int64(), name: "int64")
    }

    /// Small sums: recursive doubling where W is a power of two (no allocation), else MPI_Allreduce.
    private func sum<T: AdditiveArithmetic>(_ values: inout [T], type: MPI_Datatype?, name: String) {
        if values.isEmpty { return }
        stallWatch.begin()
        let count = values.count
        if worldSize.nonzeroBitCount == 1 {
            values.withUnsafeMutableBufferPointer {
                recursiveDoublingSum($0.baseAddress!, count: count, type: type, "sum of \(count) \(name)")
            }
        } else {
            arriveTogether("sum of \(count) \(name)")
            let comm = self.comm
            let code = values.withUnsafeMutableBufferPointer { buffer in
                MPI_Allreduce(txf_mpi_in_place(), buffer.baseAddress, Int32(buffer.count), type, txf_mpi_sum(), comm)
            }
            check(code, "MPI_Allreduce (sum) of \(name) [\(count)]")
        }
        stallWatch.completed()
    }

    // MARK: - Broadcast, gather, barrier

    public func broadcast(_ bytes: inout [UInt8], root: Int) {
        precondition((0..<worldSize).contains(root), "broadcast root \(root) outside 0..<\(worldSize)")
        stallWatch.begin()
        var length = [Int64(bytes.count)]
        length.withUnsafeMutableBufferPointer { length in
            complete(1, "broadcast of a length from rank \(root)") { requests in
                check(MPI_Ibcast(length.baseAddress, 1, txf_mpi_int64(), Int32(root), comm, requests), "MPI_Ibcast of a length")
            }
        }
        if rank != root { bytes = [UInt8](repeating: 0, count: Int(length[0])) }
        let piece = 1 << 30
        var start = 0
        while start < bytes.count {
            let count = min(piece, bytes.count - start)
            bytes.withUnsafeMutableBytes { raw in
                complete(1, "broadcast of \(count) bytes from rank \(root)") { requests in
                    check(MPI_Ibcast(raw.baseAddress! + start, Int32(count), txf_mpi_byte(), Int32(root), comm, requests),
                          "MPI_Ibcast of \(count) bytes from rank \(root)")
                }
            }
            start += count
        }
        stallWatch.completed()
    }

    public func allGather(_ bytes: [UInt8]) -> [[UInt8]] {
        stallWatch.begin()
        var lengths = [Int64](repeating: 0, count: worldSize)
        var mine = Int64(bytes.count)
        lengths.withUnsafeMutableBufferPointer { lengths in
            withUnsafeMutablePointer(to: &mine) { mine in
                complete(1, "all-gather of lengths") { requests in
                    check(MPI_Iallgather(mine, 1, txf_mpi_int64(), lengths.baseAddress, 1, txf_mpi_int64(), comm, requests),
                          "MPI_Iallgather of lengths")
                }
            }
        }
        let total = lengths.reduce(0, +)
        if total > Int64(Int32.max) { abort("allGather of \(total) bytes exceeds MPI's 2 GiB count limit") }
        let counts = lengths.map { Int32($0) }
        var displacements = [Int32](repeating: 0, count: worldSize)
        for index in 1..<max(worldSize, 1) { displacements[index] = displacements[index - 1] + counts[index - 1] }
        // One spare byte keeps every pointer non-nil even when all ranks send nothing.
        var gathered = [UInt8](repeating: 0, count: Int(total) + 1)
        let send = bytes + [0]
        send.withUnsafeBufferPointer { send in
            gathered.withUnsafeMutableBufferPointer { gathered in
                counts.withUnsafeBufferPointer { counts in
                    displacements.withUnsafeBufferPointer { displacements in
                        complete(1, "all-gather of \(bytes.count) bytes") { requests in
                            check(MPI_Iallgatherv(send.baseAddress, Int32(bytes.count), txf_mpi_byte(), gathered.baseAddress,
                                                  counts.baseAddress, displacements.baseAddress, txf_mpi_byte(), comm, requests),
                                  "MPI_Iallgatherv of \(bytes.count) bytes")
                        }
                    }
                }
            }
        }
        stallWatch.completed()
        return (0..<worldSize).map { index in
            let start = Int(displacements[index])
            return Array(gathered[start ..< start + Int(counts[index])])
        }
    }

    public func barrier() {
        stallWatch.begin()
        complete(1, "barrier") { requests in check(MPI_Ibarrier(comm, requests), "MPI_Ibarrier") }
        stallWatch.completed()
    }

    // MARK: - Ending the job

    public func abort(_ message: String) -> Never {
        abortLock.lock()  // never unlocked: a second failing thread waits here until MPI_Abort ends us
        MPIRuntime.skipFinalize = true
        writeStandardError(worldSize > 1 ? "txf: rank \(rank): \(message)" : "txf: \(message)")
        MPI_Abort(comm, 1)
        exit(1)
    }
}
