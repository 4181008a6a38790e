#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The instruction-set flags the CPU reports, as far as choosing BLAS kernels and the matrix
/// precision needs them.
///
/// On Linux they come from the first `flags` line of /proc/cpuinfo (x86) or the `Features`
/// line (ARM); every core of a node reports the same set, so one line is enough.
public struct CPUFeatures: Sendable, Equatable {
    /// Lower-case flag names, e.g. "avx2", "fma", "avx512f".
    public let flags: Set<String>
    /// The `model name` line, when present (for messages only).
    public let modelName: String?

    public init(flags: Set<String>, modelName: String? = nil) {
        self.flags = Set(flags.map { $0.lowercased() })
        self.modelName = modelName
    }

    /// AVX-512 as OpenBLAS's SkylakeX kernels need it: foundation, byte/word and vector-length
    /// extensions (all three; some CPUs and hypervisors expose avx512f alone).
    public var hasAVX512: Bool { flags.isSuperset(of: ["avx512f", "avx512bw", "avx512vl"]) }

    /// AVX2 with FMA, what the Haswell and Zen kernels need.
    public var hasAVX2: Bool { flags.isSuperset(of: ["avx2", "fma"]) }

    /// The AVX-512 bf16 dot-product instructions (Cooper Lake, Sapphire Rapids, Zen 4 and later).
    public var hasAVX512BF16: Bool { flags.contains("avx512_bf16") }

    /// AMX tiles with the bf16 multiply (Sapphire Rapids and later).
    public var hasAMXBF16: Bool { flags.isSuperset(of: ["amx_tile", "amx_bf16"]) }

    /// A short name for the widest vector extension present ("AVX-512", "AVX2", "AVX", "SSE").
    public var vectorExtension: String {
        if hasAVX512 { return "AVX-512" }
        if hasAVX2 { return "AVX2" }
        if flags.contains("avx") { return "AVX" }
        return "SSE"
    }

    /// Parses /proc/cpuinfo text: the first `flags` (or `Features`) line gives the flags.
    ///
    /// Text without such a line (another OS, a locked-down container) gives an empty set,
    /// which makes every caller fall back to the BLAS library's own choice.
    public static func parse(cpuinfo text: String) -> CPUFeatures {
        var flags: Set<String>?
        var model: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingSpaces()
            let value = line[line.index(after: colon)...]
            if flags == nil, key == "flags" || key == "Features" {
                flags = Set(value.split(whereSeparator: { $0 == " " || $0 == "\t" }).map { $0.lowercased() })
            } else if model == nil, key == "model name" {
                model = String(value.trimmingSpaces())
            }
            if flags != nil && model != nil { break }
        }
        return CPUFeatures(flags: flags ?? [], modelName: model)
    }

    /// The flags of the CPU this process runs on (empty when /proc/cpuinfo cannot be read).
    public static func current() -> CPUFeatures {
        parse(cpuinfo: readTextFile("/proc/cpuinfo") ?? "")
    }
}

/// The cores this process may run on: its affinity mask (mpirun binding, taskset and cgroup
/// cpusets shrink it), read from the `Cpus_allowed_list` line of /proc/self/status because
/// glibc's sched_getaffinity and CPU_COUNT are not importable; the online cores otherwise.
public func affinityCoreCount() -> Int {
    if let status = readTextFile("/proc/self/status") {
        for line in status.split(separator: "\n") where line.hasPrefix("Cpus_allowed_list:") {
            if let count = countCPUList(line.dropFirst("Cpus_allowed_list:".count).trimmingSpaces()), count > 0 {
                return count
            }
        }
    }
    return onlineCoreCount()
}

/// Counts the CPUs in a kernel cpu list such as "0-3,8,10-11" (→ 7); nil when malformed.
public func countCPUList<S: StringProtocol>(_ text: S) -> Int? {
    var total = 0
    for part in text.split(separator: ",") {
        let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
        guard let low = bounds.first.flatMap({ Int($0) }) else { return nil }
        switch bounds.count {
        case 1: total += 1
        case 2:
            guard let high = Int(bounds[1]), high >= low else { return nil }
            total += high - low + 1
        default: return nil
        }
    }
    return total
}

/// The cores the node has online (sysconf), whatever this process is bound to.
public func onlineCoreCount() -> Int {
    max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
}

/// Reads a small text file whole (for /proc files, whose size stat reports as 0).
func readTextFile(_ path: String) -> String? {
    guard let file = fopen(path, "r") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let got = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
        if got <= 0 { break }
        bytes.append(contentsOf: chunk[0..<got])
    }
    return String(decoding: bytes, as: UTF8.self)
}

extension Substring {
    /// The text without leading and trailing spaces and tabs.
    func trimmingSpaces() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return s
    }
}
