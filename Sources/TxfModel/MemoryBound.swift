import Foundation

/// The memory a run may ask for: this machine's physical memory, and a hard bound for when it
/// cannot be read. `ModelConfig.checkFits` refuses an estimate above either.
public enum MemoryBound {
    /// 1 PiB: more than any machine txf runs on, and far below where sizes overflow `Int`.
    public static let largestBytes = Double(1 << 50)

    /// Physical memory of this machine (`sysconf` pages × page size), nil when unknown.
    public static let physicalBytes: Int? = {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, size > 0 else { return nil }
        let (bytes, overflow) = pages.multipliedReportingOverflow(by: size)
        return overflow ? nil : bytes
    }()

    /// Bytes for a message, binary units: "512 B", "24 GiB", "28 PiB", "3.1e+12 PiB".
    public static func text(bytes: Double) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
        var value = bytes, unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if !value.isFinite { return "more than 2^1024 B" }
        if value >= 1e6 { return String(format: "%.1e %@", value, units[unit]) }
        return String(format: value < 10 && unit > 0 ? "%.1f %@" : "%.0f %@", value, units[unit])
    }

    /// A count for a message: exact below 10¹⁰ ("22,713,986"), else "7.1e15".
    public static func text(count: Double) -> String {
        if count < 1e10, let exact = Int(exactly: count.rounded()) {
            let formatter = NumberFormatter()
            formatter.numberStyle = .decimal
            formatter.locale = Locale(identifier: "en_US")
            return formatter.string(from: NSNumber(value: exact)) ?? String(exact)
        }
        return String(format: "%.1e", count).replacingOccurrences(of: "e+", with: "e")
    }
}
