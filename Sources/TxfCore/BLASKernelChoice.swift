/// Which OpenBLAS kernel family (OPENBLAS_CORETYPE) a process should run with, decided from
/// the CPU's flags, the user's request and what the environment and library already say.
///
/// Why this exists: Debian's OpenBLAS 0.3.21 is a DYNAMIC_ARCH build that picks its kernels in
/// a library constructor before `main`, from OPENBLAS_CORETYPE or its own CPU detection. Some
/// machines preset OPENBLAS_CORETYPE=Haswell (AVX2, ~106 GFLOP/s per core on BERT shapes)
/// where the CPU has AVX-512 and SkylakeX kernels run ~190–200 GFLOP/s per core. Forcing
/// SkylakeX on a CPU without AVX-512 is no option either: the first sgemm dies of SIGILL
/// (measured: OpenBLAS honours the forced name without checking). The decision below is a
/// pure function so it can be tested on any machine.

/// What the user asked for through `TXF_BLAS_CORETYPE`.
public enum BLASCoreTypeRequest: Equatable, Sendable {
    /// txf decides from the CPU flags (the default; also `TXF_BLAS_CORETYPE=auto`).
    case auto
    /// Keep OPENBLAS_CORETYPE exactly as the environment sets it, or OpenBLAS's detection when
    /// unset (`TXF_BLAS_CORETYPE=system`).
    case system
    /// Run with this OpenBLAS core type (`TXF_BLAS_CORETYPE=Haswell`), if the CPU can.
    case named(String)

    /// Reads the request from the variable's value; unset or empty means `.auto`.
    public init(environmentValue: String?) {
        let value = String(Substring(environmentValue ?? "").trimmingSpaces())
        switch value.lowercased() {
        case "", "auto": self = .auto
        case "system", "env", "environment": self = .system
        default: self = .named(value)
        }
    }
}

/// The instruction-set class an OpenBLAS core type needs (ordered: later is wider).
public enum BLASKernelClass: Int, Comparable, Sendable {
    case older = 0, avx2 = 1, avx512 = 2

    /// The class of an OpenBLAS core name as OPENBLAS_CORETYPE or `openblas_get_corename`
    /// spell it, case-insensitively. Names not listed are treated as older kernels.
    public init(coreType: String) {
        switch coreType.lowercased() {
        case "skylakex", "cooperlake", "sapphirerapids": self = .avx512
        case "haswell", "zen": self = .avx2
        default: self = .older
        }
    }

    /// The widest class this CPU can execute.
    public init(features: CPUFeatures) {
        self = features.hasAVX512 ? .avx512 : features.hasAVX2 ? .avx2 : .older
    }

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    /// The core type txf asks for on a CPU of this class (nil: leave OpenBLAS's choice).
    public var preferredCoreType: String? {
        switch self {
        case .avx512: "SkylakeX"
        case .avx2: "Haswell"
        case .older: nil
        }
    }

    /// Whether the kernels OpenBLAS loaded are as good as `preferredCoreType` on this class.
    public func prefers(loaded: String) -> Bool {
        switch self {
        case .avx512: BLASKernelClass(coreType: loaded) == .avx512
        case .avx2: loaded.lowercased() == "haswell"
        case .older: true
        }
    }

    /// Name for messages: "AVX-512", "AVX2", "pre-AVX2".
    public var label: String {
        switch self {
        case .avx512: "AVX-512"
        case .avx2: "AVX2"
        case .older: "pre-AVX2"
        }
    }
}

/// Who made the kernel choice a process runs with (for the start-up line).
public enum BLASKernelSource: String, Equatable, Sendable, Codable {
    /// txf's automatic choice (re-exec with OPENBLAS_CORETYPE set or unset).
    case txf
    /// The user, through TXF_BLAS_CORETYPE.
    case user
    /// OPENBLAS_CORETYPE as the environment set it.
    case environment
    /// OpenBLAS's own CPU detection (OPENBLAS_CORETYPE unset).
    case library
}

/// The outcome of `decideBLASCoreType`.
public struct BLASKernelDecision: Equatable, Sendable {
    /// The value OPENBLAS_CORETYPE should have when the library loads; nil means unset.
    public var coreType: String?
    /// Who chose it.
    public var source: BLASKernelSource
    /// A few words on why, for the start-up line ("AVX-512 CPU").
    public var reason: String
    /// Something the user should hear about (a request the CPU cannot run), or nil.
    public var warning: String?

    public init(coreType: String?, source: BLASKernelSource, reason: String, warning: String? = nil) {
        self.coreType = coreType
        self.source = source
        self.reason = reason
        self.warning = warning
    }

    /// Whether a process whose environment holds `current` must re-exec to get this choice.
    public func needsReexec(current: String?) -> Bool {
        coreType?.lowercased() != current?.lowercased()
    }
}

/// Decides OPENBLAS_CORETYPE for this process.
///
/// - `.auto`: a preset the CPU cannot execute is replaced (see below). Otherwise,
///   unless OpenBLAS already runs the preferred kernels of the CPU's widest class, ask for
///   them: any AVX-512 family (SkylakeX, Cooperlake, SapphireRapids share the sgemm
///   kernels) else SkylakeX on AVX-512 CPUs; Haswell on AVX2 CPUs. Haswell rather than Zen,
///   which OpenBLAS detects on AMD AVX2 CPUs: measured on an AVX2 EPYC with OpenBLAS 0.3.21,
///   the two match on large shapes (~90 GFLOP per core-second) but Haswell runs the small
///   attention shapes 20–33% faster (64×32×64 NT: 67 vs 51).
/// - `.system`: keep the environment exactly.
/// - `.named(x)`: run with x, unless the CPU's flags are known and lack what x needs; then
///   warn and decide as `.auto`.
///
/// - Parameters:
///   - features: the CPU's flags; an empty set (unknown CPU) never forces anything.
///   - request: TXF_BLAS_CORETYPE, parsed.
///   - current: OPENBLAS_CORETYPE as the process found it (nil when unset).
///   - loaded: the core OpenBLAS loaded (`openblas_get_corename()`).
public func decideBLASCoreType(
    features: CPUFeatures, request: BLASCoreTypeRequest, current: String?, loaded: String
) -> BLASKernelDecision {
    let cpu = BLASKernelClass(features: features)
    let known = !features.flags.isEmpty
    let environmentSource: BLASKernelSource = current == nil ? .library : .environment
    var warning: String?

    switch request {
    case .system:
        return BLASKernelDecision(coreType: current, source: environmentSource, reason: "TXF_BLAS_CORETYPE=system")
    case .named(let name):
        let needs = BLASKernelClass(coreType: name)
        if !known || needs <= cpu {
            return BLASKernelDecision(coreType: name, source: .user, reason: "TXF_BLAS_CORETYPE=\(name)")
        }
        warning = "TXF_BLAS_CORETYPE=\(name) needs \(needs.label), which this CPU lacks; choosing kernels automatically"
    case .auto:
        break
    }

    if let preset = current, known, BLASKernelClass(coreType: preset) > cpu {
        // Running these kernels would end in SIGILL: take the preferred ones of the CPU's
        // class, or OpenBLAS's detection on a CPU older than AVX2.
        return BLASKernelDecision(
            coreType: cpu.preferredCoreType, source: .txf,
            reason: "\(cpu.label) CPU, replacing OPENBLAS_CORETYPE=\(preset) that it cannot run",
            warning: warning)
    }
    if known, let wanted = cpu.preferredCoreType, !cpu.prefers(loaded: loaded) {
        return BLASKernelDecision(
            coreType: wanted, source: .txf, reason: "\(cpu.label) CPU, instead of \(loaded)", warning: warning)
    }
    return BLASKernelDecision(
        coreType: current, source: environmentSource,
        reason: known ? "\(cpu.label) CPU" : "CPU flags unknown", warning: warning)
}
