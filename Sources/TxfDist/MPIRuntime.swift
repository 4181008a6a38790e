import CMPI
import Foundation

/// Process-wide MPI state: initialised once, on first use, and finalized at process exit.
///
/// `swift test` runs many suites in one process and Swift Testing calls them off the main
/// thread, so initialisation is lazy (a `static let`, thread-safe) and asks for
/// MPI_THREAD_MULTIPLE. Errors on MPI_COMM_WORLD return codes (MPI_ERRORS_RETURN) instead of
/// killing the process inside Open MPI, so every failed call becomes one line naming the call
/// and its reason, followed by MPI_Abort (see `MPICommunicator.check`).
enum MPIRuntime {
    /// Thread level MPI granted; initialises MPI on first access.
    static let providedThreadLevel: Int32 = initialize()

    /// Set before ending the process without finalize (abort paths): finalize is collective in
    /// Open MPI and would wait for ranks that will never arrive.
    nonisolated(unsafe) static var skipFinalize = false

    private static func initialize() -> Int32 {
        var initialized: Int32 = 0
        MPI_Initialized(&initialized)
        var provided: Int32 = 0
        if initialized == 0 {
            let code = MPI_Init_thread(nil, nil, txf_mpi_thread_multiple(), &provided)
            if code != MPI_SUCCESS {
                writeStandardError("txf: MPI_Init_thread failed with code \(code); is Open MPI installed and mpirun working?")
                exit(1)
            }
            atexit { MPIRuntime.finalizeAtExit() }
        } else {
            MPI_Query_thread(&provided)
        }
        MPI_Comm_set_errhandler(txf_mpi_comm_world(), txf_mpi_errors_return())
        return provided
    }

    private static func finalizeAtExit() {
        if skipFinalize { return }
        var finalized: Int32 = 0
        MPI_Finalized(&finalized)
        if finalized == 0 { MPI_Finalize() }
    }

    /// Open MPI's text for an error code ("MPI_ERR_TRUNCATE: message truncated").
    static func errorString(_ code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: Int(MPI_MAX_ERROR_STRING) + 1)
        var length: Int32 = 0
        MPI_Error_string(code, &buffer, &length)
        let bytes = buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Whether MPI_Init has run in this process (by us or by another library).
    static var isInitialized: Bool {
        var initialized: Int32 = 0
        MPI_Initialized(&initialized)
        return initialized != 0
    }

    /// Whether `defaultCommunicator()` should use MPI: when this process was started by mpirun
    /// (its variables are set), when asked to with TXF_MPI=1, or when MPI is already running.
    static func wantsMPI(environment: [String: String], initialized: Bool) -> Bool {
        if initialized || environment["TXF_MPI"] == "1" { return true }
        return ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"].contains { environment[$0] != nil }
    }
}
