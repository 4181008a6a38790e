#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Start-up configuration of OpenBLAS for a txf process: which kernels, how many threads, and
/// the one line that tells the user both.
///
/// Call `selectKernels()` first thing in `main` (before MPI_Init, before any thread starts),
/// then `configureThreads(ranksOnNode:override:)` once the rank count is known, then print
/// `startupLine()` on rank 0.
public enum BLASRuntime {
    /// The user's kernel override: `auto` (default), `system`, or an OpenBLAS core name.
    public static let coreTypeVariable = "TXF_BLAS_CORETYPE"
    /// The user's thread override (a positive integer).
    public static let threadsVariable = "TXF_BLAS_THREADS"
    /// The variable OpenBLAS reads in its library constructor.
    public static let openBLASCoreTypeVariable = "OPENBLAS_CORETYPE"
    /// Set across the one re-exec; carries the parent's decision and stops a second re-exec.
    public static let reexecMarkerVariable = "TXF_BLAS_REEXEC"

    // MARK: - Kernels

    /// Makes OpenBLAS run the fastest kernels this CPU can execute, or what the user asked for.
    ///
    /// OpenBLAS chose its kernels in a constructor before `main`, so a different choice needs
    /// a fresh image: set or unset OPENBLAS_CORETYPE and `execv("/proc/self/exe", arguments)`
    /// once. execv keeps the PID, the environment (Open MPI's OMPI_* variables included) and
    /// the open descriptors, so it is safe under mpirun as long as MPI_Init has not run yet.
    /// If execv fails the process goes on with the kernels it has, and `startupLine()` says so.
    /// Calling it again is a no-op (the first decision stands).
    ///
    /// - Parameter arguments: the argv to re-exec with (the process's own by default).
    public static func selectKernels(arguments: [String] = CommandLine.arguments) {
        if state.read({ $0.decision != nil }) { return }
        let current = environment(openBLASCoreTypeVariable)
        let loaded = blasCoreName()

        if let marker = environment(reexecMarkerVariable) {
            // The re-exec'd image: adopt the parent's decision, and keep the marker from
            // leaking into processes this one starts (they decide afresh).
            unsetenv(reexecMarkerVariable)
            var decision = decodeMarker(marker)
                ?? BLASKernelDecision(coreType: current, source: .txf, reason: "re-exec")
            decision.coreType = current
            state.update { $0.decision = decision; $0.reexecuted = true }
            return
        }

        let decision = decideBLASCoreType(
            features: CPUFeatures.current(),
            request: BLASCoreTypeRequest(environmentValue: environment(coreTypeVariable)),
            current: current, loaded: loaded)
        guard decision.needsReexec(current: current) else {
            state.update { $0.decision = decision }
            return
        }

        let failure = reexec(arguments: arguments, coreType: decision.coreType, marker: encodeMarker(decision))
        // Only reached when execv failed: put the environment back as it was.
        if let current { setenv(openBLASCoreTypeVariable, current, 1) } else { unsetenv(openBLASCoreTypeVariable) }
        unsetenv(reexecMarkerVariable)
        let wanted = decision.coreType ?? "OpenBLAS's own detection"
        state.update {
            $0.decision = BLASKernelDecision(
                coreType: current, source: current == nil ? .library : .environment,
                reason: "kept", warning: "could not re-exec for \(wanted) kernels (\(failure))")
        }
    }

    /// Replaces the process image with itself under a new OPENBLAS_CORETYPE; returns the error
    /// text when that fails.
    private static func reexec(arguments: [String], coreType: String?, marker: String) -> String {
        let executable = "/proc/self/exe"
        guard access(executable, X_OK) == 0 else { return "\(executable) is not available" }
        if let coreType { setenv(openBLASCoreTypeVariable, coreType, 1) } else { unsetenv(openBLASCoreTypeVariable) }
        setenv(reexecMarkerVariable, marker, 1)
        fflush(nil)
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        execv(executable, &argv)
        let error = String(cString: strerror(errno))
        for pointer in argv { free(pointer) }
        return error
    }

    // The parent's decision crosses execv as "source<US>reason<US>warning".
    private static let separator: Character = "\u{1F}"

    private static func encodeMarker(_ decision: BLASKernelDecision) -> String {
        [decision.source.rawValue, decision.reason, decision.warning ?? ""].joined(separator: String(separator))
    }

    private static func decodeMarker(_ text: String) -> BLASKernelDecision? {
        let parts = text.split(separator: separator, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, let source = BLASKernelSource(rawValue: parts[0]) else { return nil }
        return BLASKernelDecision(coreType: nil, source: source, reason: parts[1],
                                  warning: parts[2].isEmpty ? nil : parts[2])
    }

    // MARK: - Threads

    /// Sets OpenBLAS's thread count for this rank and returns the plan it followed.
    ///
    /// threads = max(1, min(affinity cores, online cores / ranksOnNode)) unless `override`
    /// (a command-line flag) or `TXF_BLAS_THREADS` says otherwise; see `BLASThreadPlan`.
    ///
    /// - Parameters:
    ///   - ranksOnNode: ranks sharing this node (from the communicator); nil falls back to
    ///     Open MPI's OMPI_COMM_WORLD_LOCAL_SIZE, MPICH's MPI_LOCALNRANKS, then 1.
    ///   - override: an explicit thread count from the command line.
    /// - Throws: `TxfError` for a thread count that is not a positive integer.
    @discardableResult
    public static func configureThreads(ranksOnNode: Int? = nil, override: Int? = nil) throws -> BLASThreadPlan {
        let ranks = ranksOnNode
            ?? environment("OMPI_COMM_WORLD_LOCAL_SIZE").flatMap { Int($0) }
            ?? environment("MPI_LOCALNRANKS").flatMap { Int($0) }
            ?? 1
        let plan = try BLASThreadPlan.resolve(
            nodeCores: onlineCoreCount(), allowedCores: affinityCoreCount(), ranksOnNode: ranks,
            override: override, environmentValue: environment(threadsVariable))
        setBLASThreads(plan.threads)
        state.update { $0.threads = plan }
        return plan
    }

    // MARK: - Reporting

    /// "OpenBLAS 0.3.21" (the first two words of the library's configuration string).
    public static func libraryVersion() -> String {
        blasLibraryConfig().split(separator: " ").prefix(2).joined(separator: " ")
    }

    /// The kernel decision this process runs with (derived from the environment when
    /// `selectKernels` was not called).
    public static func kernelDecision() -> BLASKernelDecision {
        if let decision = state.read({ $0.decision }) { return decision }
        let current = environment(openBLASCoreTypeVariable)
        return BLASKernelDecision(coreType: current, source: current == nil ? .library : .environment,
                                  reason: "txf did not choose")
    }

    /// Whether this process is the image `selectKernels` re-exec'd.
    public static var didReexec: Bool { state.read { $0.reexecuted } }

    /// The thread plan `configureThreads` applied, if it ran.
    public static var threadPlan: BLASThreadPlan? { state.read { $0.threads } }

    /// One line for the start of a run, e.g. "blas: OpenBLAS 0.3.21, kernels SkylakeX
    /// (AVX-512; chosen by txf for this AVX-512 CPU; override with TXF_BLAS_CORETYPE),
    /// 1 thread per rank (2 cores, 2 ranks on this node)".
    public static func startupLine() -> String {
        let decision = kernelDecision()
        let loaded = blasCoreName()
        var kernel = "\(BLASKernelClass(coreType: loaded).label); "
        switch decision.source {
        case .txf: kernel += "chosen by txf: \(decision.reason)"
        case .user: kernel += "set by \(coreTypeVariable)"
        case .environment: kernel += "from \(openBLASCoreTypeVariable) in the environment, \(decision.reason)"
        case .library: kernel += "detected by OpenBLAS, \(decision.reason)"
        }
        if decision.source != .user { kernel += "; override with \(coreTypeVariable)" }
        if let warning = decision.warning { kernel += "; warning: \(warning)" }
        let threads = threadPlan?.summary ?? "\(blasThreads()) threads (OpenBLAS default)"
        return "blas: \(libraryVersion()), kernels \(loaded) (\(kernel)), \(threads)"
    }

    /// Everything the start-up line says, as values (for `txf bench --json` and run logs).
    public struct Summary: Codable, Equatable, Sendable {
        /// "OpenBLAS 0.3.21".
        public var library: String
        /// The core OpenBLAS runs ("SkylakeX") and its class ("AVX-512").
        public var kernels: String
        public var kernelClass: String
        public var kernelSource: BLASKernelSource
        public var reason: String
        public var warning: String?
        /// Whether txf re-exec'd the process to change kernels.
        public var reexecuted: Bool
        /// Threads OpenBLAS uses, and the plan behind them when `configureThreads` ran.
        public var threads: Int
        public var threadPlan: BLASThreadPlan?
        /// The CPU's widest vector extension ("AVX2").
        public var cpu: String
    }

    /// The current configuration as values.
    public static func summary() -> Summary {
        let decision = kernelDecision()
        let loaded = blasCoreName()
        return Summary(
            library: libraryVersion(), kernels: loaded, kernelClass: BLASKernelClass(coreType: loaded).label,
            kernelSource: decision.source, reason: decision.reason, warning: decision.warning,
            reexecuted: didReexec, threads: blasThreads(), threadPlan: threadPlan,
            cpu: CPUFeatures.current().vectorExtension)
    }

    // MARK: - State

    private struct State {
        var decision: BLASKernelDecision?
        var reexecuted = false
        var threads: BLASThreadPlan?
    }

    /// Written during start-up, read when reporting; a lock keeps Swift 6 and the
    /// odd early-started thread honest.
    private final class Box: @unchecked Sendable {
        private let lock = NSLock()
        private var value = State()
        func update(_ body: (inout State) -> Void) { lock.lock(); body(&value); lock.unlock() }
        func read<T>(_ body: (State) -> T) -> T { lock.lock(); defer { lock.unlock() }; return body(value) }
    }

    private static let state = Box()

    private static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}
