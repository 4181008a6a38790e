import Foundation

extension Communicator {
    /// Runs `body` on rank 0 alone and gives every rank its outcome: the bytes it returned, or
    /// its failure as one `CollectiveError` with the same message on every rank (no rank
    /// prefix: what rank 0 found, in its run directory or a file only it can see, is the job's
    /// answer, printed once).
    ///
    /// For what only rank 0 may be able to read, such as a checkpoint on its local disk: the
    /// other ranks work on the bytes it sent, so every check on them gives every rank the same
    /// answer. `body` must not call collectives. The bytes go in `broadcast`'s pieces, under the
    /// stall deadline of the phase the ranks are in.
    /// - Returns: on every rank, [length] bytes, rank 0's.
    public func fromRoot(_ body: () throws -> [UInt8]) throws -> [UInt8] {
        var bytes: [UInt8] = []
        var failure = ""
        if rank == 0 {
            do { bytes = try body() } catch { failure = Job.text(of: error) }
        }
        var header = rank == 0 ? (failure.isEmpty ? [0] : [1] + Array(failure.utf8)) : []
        broadcast(&header, root: 0)
        if header.first == 1 { throw CollectiveError(String(decoding: header.dropFirst(), as: UTF8.self)) }
        broadcast(&bytes, root: 0)
        return bytes
    }

    /// `fromRoot` of a string (UTF-8).
    public func fromRoot(_ body: () throws -> String) throws -> String {
        let bytes: [UInt8] = try fromRoot { Array(try body().utf8) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
