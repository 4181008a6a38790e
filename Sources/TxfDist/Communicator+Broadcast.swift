import Foundation

extension Communicator {
    /// Copies rank `root`'s string to every rank (UTF-8 bytes).
    public func broadcast(_ string: inout String, root: Int) {
        var bytes = rank == root ? Array(string.utf8) : []
        broadcast(&bytes, root: root)
        if rank != root { string = String(decoding: bytes, as: UTF8.self) }
    }

    /// Sums one Double over all ranks.
    public func allReduceSum(_ value: Double) -> Double {
        var values = [value]
        allReduceSum(&values)
        return values[0]
    }

    /// Sums one Int64 over all ranks.
    public func allReduceSum(_ value: Int64) -> Int64 {
        var values = [value]
        allReduceSum(&values)
        return values[0]
    }
}

/// The communicator for this process: MPI when started by `mpirun` (or when `TXF_MPI=1`, or
/// MPI is already initialised), otherwise a `SingleProcessCommunicator` that never starts MPI.
public func defaultCommunicator() -> any Communicator {
    if MPIRuntime.wantsMPI(environment: ProcessInfo.processInfo.environment, initialized: MPIRuntime.isInitialized) {
        return MPICommunicator.world
    }
    return SingleProcessCommunicator()
}
