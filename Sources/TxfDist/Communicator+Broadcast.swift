import Foundation

extension Communicator {
    /// Copies rank `root`'s string to every rank (UTF-8 bytes).
    public func broadcast(_ string: inout String, root: Int) {
        var bytes = rank == root ? Array(string.utf8) : []
        broadcast(&bytes, root: root)
        if rank != root { string = String(decoding: bytes, as: UTF8.self) }
    }

    /// Copies rank `root`'s value to every rank as JSON (e.g. a resolved config).
    ///
    /// Encoding or decoding failures abort the job rather than throw: a throw on one rank would
    /// leave the others waiting in the next collective.
    public func broadcast<T: Codable>(json value: inout T, root: Int) {
        var bytes: [UInt8] = []
        if rank == root {
            do { bytes = Array(try JSONEncoder().encode(value)) } catch {
                abort("cannot encode \(T.self) for broadcast: \(error)")
            }
        }
        broadcast(&bytes, root: root)
        if rank != root {
            do { value = try JSONDecoder().decode(T.self, from: Data(bytes)) } catch {
                abort("cannot decode \(T.self) broadcast from rank \(root): \(error)")
            }
        }
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
