/// Size arithmetic that cannot trap: products and sums of `Int`s, nil on overflow. Sizes read
/// from flags and files pass through here before they are trusted.
public enum CheckedArithmetic {
    /// ∏ factors, or nil when it overflows `Int` (or a factor is negative).
    public static func product(_ factors: [Int]) -> Int? {
        var result = 1
        for x in factors {
            guard x >= 0 else { return nil }
            let (next, overflow) = result.multipliedReportingOverflow(by: x)
            if overflow { return nil }
            result = next
        }
        return result
    }

    /// a + b, or nil when it overflows `Int`.
    public static func sum(_ a: Int, _ b: Int) -> Int? {
        let (result, overflow) = a.addingReportingOverflow(b)
        return overflow ? nil : result
    }
}
