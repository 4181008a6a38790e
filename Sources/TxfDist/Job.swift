import Foundation

/// How every txf executable ends on a failure: one line on stderr and a non-zero exit, the
/// same in `txf`, `txf-train` and `txf-mpi-selftest`.
///
/// There are two kinds of failure. A `CollectiveError` was thrown by every rank together
/// (`together`, `agree`): rank 0 prints `NAME: message` and every rank exits 1. Any other error
/// is this rank's own: alone (one rank, or MPI not started) it prints `Error: message` and exits
/// 1; in a job of several ranks it aborts the whole job (MPI_Abort) with
/// `txf: rank R: message`, so no other rank waits for it in a collective.
public enum Job {
    /// Runs an executable's work, ending the process as above when it throws.
    /// - Parameter name: who speaks in a shared failure's line ("txf-train", "txf evaluate").
    public static func run(_ name: String, _ body: () throws -> Void) {
        do { try body() } catch { end(name, for: error) }
    }

    /// Ends the process for `error` (see `Job`).
    public static func end(_ name: String, for error: any Error) -> Never {
        // Only a started MPI has ranks to abort; starting it now, on one rank, would hang.
        let world = MPIRuntime.isInitialized ? MPICommunicator.world : nil
        switch ending(for: error, name: name, rank: world?.rank ?? launchRank, worldSize: world?.worldSize ?? 1) {
        case .exit(let line):
            if let line { writeStandardError(line) }
            exit(1)
        case .abort(let message):
            world?.abort(message)
            writeStandardError("txf: \(message)")
            exit(1)
        }
    }

    /// What ending a process for an error does.
    enum Ending: Equatable {
        /// Print the line (nil: nothing) and exit with status 1.
        case exit(line: String?)
        /// Abort every rank with the message (`Communicator.abort`).
        case abort(message: String)
    }

    /// The ending for `error` on `rank` of a job of `worldSize` ranks.
    static func ending(for error: any Error, name: String, rank: Int, worldSize: Int) -> Ending {
        let message = text(of: error)
        if error is CollectiveError { return .exit(line: rank == 0 ? "\(name): \(message)" : nil) }
        if worldSize > 1 { return .abort(message: message) }
        return .exit(line: "Error: \(message)")
    }

    /// The one line a user reads for `error`: txf's errors describe themselves as it.
    public static func text(of error: any Error) -> String {
        (error as? LocalizedError)?.errorDescription ?? String(describing: error)
    }

    // MARK: - The program, agreed on by every rank

    /// The program every rank of a job must run ("txf-train", "txf evaluate"): `mainAsJob`
    /// sets it before the command runs; else the executable's name. The first collective
    /// compares it across ranks (`MPICommunicator.world`).
    nonisolated(unsafe) public static var program: String =
        URL(fileURLWithPath: CommandLine.arguments.first ?? "txf").lastPathComponent

    /// `ranks run different programs: rank 0 runs txf-train, ranks 1, 2 run txf evaluate`.
    /// - Parameter programs: [worldSize], each rank's `program`.
    static func programMismatchMessage(_ programs: [String]) -> String {
        let parts = rankGroups(programs).map { group in
            group.ranks.count == 1 ? "rank \(group.ranks[0]) runs \(group.key)"
                : "ranks \(group.ranks.map(String.init).joined(separator: ", ")) run \(group.key)"
        }
        return "ranks run different programs: \(parts.joined(separator: ", ")); every rank of a job must run the same txf program"
    }

    // MARK: - The launch, before MPI starts

    /// This process's rank as the launcher (mpirun) sets it; 0 without one.
    public static var launchRank: Int {
        launchNumber(["OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"]) ?? 0
    }

    /// The job's rank count as the launcher sets it; 1 without one.
    public static var launchWorldSize: Int {
        launchNumber(["OMPI_COMM_WORLD_SIZE", "PMI_SIZE"]) ?? 1
    }

    private static func launchNumber(_ names: [String]) -> Int? {
        let environment = ProcessInfo.processInfo.environment
        return names.lazy.compactMap { environment[$0].flatMap(Int.init) }.first
    }
}
