import Foundation
import TxfCore
import TxfDist

/// The scenarios behind each subcommand; each checks its results on every rank and prints
/// one line per rank for the tests to compare with closed-form sums.
struct Scenarios {
    let comm: MPICommunicator
    var rank: Int { comm.rank }
    var size: Int { comm.worldSize }

    /// Rank r contributes (r+1)·(i mod 10) at element i, so the sum is W(W+1)/2 · (i mod 10)
    /// and the buffer total over 1000 elements is W(W+1)/2 · 4500. Run twice: in one piece,
    /// and in 300-element pieces (4 MPI calls) to check the piecewise path.
    func sums() throws {
        let count = 1000
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)  // [count]
        defer { buffer.deallocate() }
        let triangle = Float(size * (size + 1) / 2)
        let savedPiece = comm.allReducePieceElements
        defer { comm.allReducePieceElements = savedPiece }
        for piece in [savedPiece, 300] {
            comm.allReducePieceElements = piece
            for i in 0..<count { buffer[i] = Float(rank + 1) * Float(i % 10) }
            comm.allReduceSum(buffer)
            for i in 0..<count where buffer[i] != triangle * Float(i % 10) {
                throw TxfError("sums: element \(i) is \(buffer[i]), expected \(triangle * Float(i % 10)) (piece \(piece))")
            }
            let total = buffer.reduce(0.0) { $0 + Double($1) }
            print("sums rank \(rank): piece=\(piece == savedPiece ? "default" : String(piece)) total=\(Int(total))")
        }
        var doubles = [Double(rank), 1, 0.25 * Double(rank)]
        comm.allReduceSum(&doubles)
        var counters: [Int64] = [(Int64(1) << 40) * Int64(rank + 1), -Int64(rank)]
        comm.allReduceSum(&counters)
        let single = comm.allReduceSum(Double(rank) + 0.5)
        print("doubles rank \(rank): \(doubles.map { String($0) }.joined(separator: " ")) single=\(single)")
        print("int64 rank \(rank): \(counters.map { String($0) }.joined(separator: " "))")
    }

    /// Reduce-scatter then all-gather over 1000 floats in chunks of 16·W + 40 (uneven last
    /// pieces): rank r adds (r+1)·(i mod 10), so each owner must see W(W+1)/2·(i mod 10); then
    /// every owner writes its floats' index and the all-gather must give every rank 0, 1, 2, …
    func shards() throws {
        let count = 1000
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)  // [count]
        defer { buffer.deallocate() }
        let layout = ShardLayout(count: count, worldSize: size, chunkElements: 16 * size + 40)
        let triangle = Float(size * (size + 1) / 2)
        for i in 0..<count { buffer[i] = Float(rank + 1) * Float(i % 10) }
        comm.reduceScatterSum(buffer, layout: layout)
        let owned = layout.ownedRanges(rank: rank)
        for range in owned {
            for i in range where buffer[i] != triangle * Float(i % 10) {
                throw TxfError("shards: owned element \(i) is \(buffer[i]) after reduce-scatter, expected \(triangle * Float(i % 10))")
            }
        }
        for i in 0..<count { buffer[i] = -1 }
        for range in owned { for i in range { buffer[i] = Float(i) } }
        comm.allGather(buffer, layout: layout)
        for i in 0..<count where buffer[i] != Float(i) {
            throw TxfError("shards: element \(i) is \(buffer[i]) after all-gather, expected \(i)")
        }
        print("shards rank \(rank): ok")
    }

    /// The last rank broadcasts 100 003 bytes (byte i = (7i + root) mod 251) and a string;
    /// every rank checks them and prints a hash of the bytes.
    func broadcast() throws {
        let root = size - 1
        let count = 100_003
        var bytes: [UInt8] = rank == root ? (0..<count).map { UInt8((7 * $0 + root) % 251) } : [1, 2, 3]
        comm.broadcast(&bytes, root: root)
        guard bytes.count == count, bytes.indices.allSatisfy({ bytes[$0] == UInt8((7 * $0 + root) % 251) }) else {
            throw TxfError("broadcast: rank \(rank) received \(bytes.count) bytes that differ from rank \(root)'s")
        }
        var text = rank == root ? "hello from rank \(root) of \(size) ✓" : ""
        comm.broadcast(&text, root: root)
        print("broadcast rank \(rank): bytes=\(bytes.count) fnv=\(String(fnv1a64(bytes), radix: 16)) text=\(text)")
    }

    /// Equal values on every rank pass, as text, bytes and JSON.
    func agree() throws {
        try comm.agree("world size", "\(size)")
        try comm.agree("weights", bytes: [UInt8](repeating: 7, count: 4096))
        try comm.agree("settings", encoding: Settings(name: "same", steps: 3, rate: 0.5))
        print("agree rank \(rank): ok")
    }

    func localRanks() {
        print("local-ranks rank \(rank): \(comm.localRankCount) of \(size)")
    }

    /// The last rank differs: first on a short fingerprint (each rank catches and prints the
    /// error), then on a long config, thrown out of the scenario so the job fails together.
    func agreeMismatch() throws {
        let odd = rank == size - 1
        do {
            try comm.agree("dataset fingerprint", odd ? "beta" : "alpha")
            throw TxfError("agree-mismatch: rank \(rank) saw no mismatch")
        } catch let error as CollectiveError {
            print("agree-mismatch rank \(rank) caught: \(error.message)")
        }
        let padding = String(repeating: "x", count: 100)
        let config = "{\"padding\": \"\(padding)\", \"learning_rate\": \(odd ? "0.002" : "0.001"), \"steps\": 10}"
        try comm.agree("config", config)
        throw TxfError("agree-mismatch: rank \(rank) saw no config mismatch")
    }

    /// Rank `victim` aborts; the others wait in a barrier that only the abort can end.
    func abortOnRank(_ victim: Int) throws {
        comm.barrier()
        if rank == victim {
            usleep(200_000)  // let the others reach their barrier first
            comm.abort("scenario abort on rank \(victim)")
        }
        print("abort-on-rank rank \(rank): waiting in barrier")
        comm.barrier()
        throw TxfError("abort-on-rank: rank \(rank) left a barrier that rank \(victim) never entered")
    }

    /// Rank `victim` throws out of the scenario; the others wait in an all-reduce.
    func throwOnRank(_ victim: Int) throws {
        comm.barrier()
        if rank == victim {
            usleep(200_000)
            throw TxfError("scenario failure on rank \(victim)")
        }
        print("throw-on-rank rank \(rank): waiting in all-reduce")
        _ = comm.allReduceSum(1.0)
        throw TxfError("throw-on-rank: rank \(rank) finished an all-reduce without rank \(victim)")
    }

    /// Rank `victim` crashes (a Swift trap); the others wait in a barrier until mpirun,
    /// seeing a rank die by a signal, ends the job.
    func crashOnRank(_ victim: Int) {
        comm.barrier()
        if rank == victim {
            usleep(200_000)
            fatalError("scenario crash on rank \(victim)")
        }
        print("crash-on-rank rank \(rank): waiting in barrier")
        comm.barrier()
    }

    /// Writes this rank's PID to `directory`/rank-R.pid, then sums one Double per step, with a
    /// millisecond of "compute" between, for 60 s: the job a test stops or kills a rank of.
    func sumLoop(directory: String) throws {
        comm.barrier()
        let path = "\(directory)/rank-\(rank).pid"
        try "\(getpid())\n".write(toFile: path + ".partial", atomically: false, encoding: .utf8)
        guard rename(path + ".partial", path) == 0 else { throw TxfError("cannot write \(path)") }
        let end = Date().addingTimeInterval(60)
        var step = 0
        while Date() < end {
            comm.stallWatch.enter(.training, step: step)
            _ = comm.allReduceSum(1.0)
            usleep(1_000)
            step += 1
        }
        print("sum-loop rank \(rank): \(step) steps")
    }

    /// Median all-reduce times for one buffer of `megabytes`: one call, and pieces of several
    /// sizes. Printed by rank 0.
    func bench(megabytes: Int) {
        let count = megabytes << 18  // floats
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
        defer { buffer.deallocate() }
        buffer.initialize(repeating: 1)
        let savedPiece = comm.allReducePieceElements
        defer { comm.allReducePieceElements = savedPiece }
        for pieceMB in [megabytes, 16, 8, 4, 2, 1] where pieceMB <= megabytes {
            comm.allReducePieceElements = pieceMB << 18
            let blocking = medianSeconds { comm.allReduceSum(buffer) }
            if rank == 0 {
                print(String(format: "bench %d ranks, %d MB in %d MB pieces: %.2f ms",
                             size, megabytes, pieceMB, blocking * 1e3))
            }
        }
    }

    /// The median of 7 runs, each from one barrier to the next, so it is the slowest rank's time.
    private func medianSeconds(_ body: () -> Void) -> Double {
        body()
        var times: [Double] = []
        for _ in 0..<7 {
            comm.barrier()
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            comm.barrier()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return times.sorted()[times.count / 2]
    }
}

struct Settings: Codable, Equatable {
    var name: String
    var steps: Int
    var rate: Double
}
