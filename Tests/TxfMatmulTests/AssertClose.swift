import Testing

/// Checks two arrays element by element: |actual − expected| ≤ absoluteTolerance +
/// relativeTolerance · |expected|.
///
/// Why both: a relative bound alone fails on values that should be 0 but carry rounding
/// error from larger terms; an absolute bound alone is meaningless for large values. Each
/// test states both and why (e.g. "Float sums of k products of |x| ≤ 1: error ≤ k·2⁻²⁴").
/// A failure reports the count of violations and the worst one, with its index.
func assertClose<A: Collection, E: Collection>(
    _ actual: A, _ expected: E,
    relativeTolerance: Double, absoluteTolerance: Double = 0,
    _ comment: Comment? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) where A.Element: BinaryFloatingPoint, E.Element: BinaryFloatingPoint {
    let context = comment.map { ": \($0.rawValue)" } ?? ""
    guard actual.count == expected.count else {
        Issue.record(Comment(rawValue: "count \(actual.count) != expected \(expected.count)\(context)"),
                     sourceLocation: sourceLocation)
        return
    }
    var violations = 0
    var worst: (index: Int, actual: Double, expected: Double, excess: Double)?
    for (index, (a, e)) in zip(actual, expected).enumerated() {
        let a = Double(a), e = Double(e)
        let bound = absoluteTolerance + relativeTolerance * abs(e)
        let error = abs(a - e)
        // `!(error <= bound)` also catches NaN.
        if !(error <= bound) {
            violations += 1
            let excess = error.isNaN ? .infinity : error / max(bound, .leastNonzeroMagnitude)
            if worst == nil || excess > worst!.excess { worst = (index, a, e, excess) }
        }
    }
    if let worst {
        Issue.record(Comment(rawValue: """
            \(violations) of \(actual.count) elements outside tolerance (rel \(relativeTolerance), abs \(absoluteTolerance)); \
            worst at [\(worst.index)]: \(worst.actual) vs \(worst.expected), \
            error \(abs(worst.actual - worst.expected))\(context)
            """), sourceLocation: sourceLocation)
    }
}

/// Scalar form of `assertClose`.
func assertClose<T: BinaryFloatingPoint, U: BinaryFloatingPoint>(
    _ actual: T, _ expected: U,
    relativeTolerance: Double, absoluteTolerance: Double = 0,
    _ comment: Comment? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    assertClose([actual], [expected], relativeTolerance: relativeTolerance,
                absoluteTolerance: absoluteTolerance, comment, sourceLocation: sourceLocation)
}

/// A tiny deterministic generator so every run checks the same matrices.
struct TestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    /// Uniform in [-1, 1).
    mutating func next() -> Float {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(state >> 40) / Float(1 << 23) - 1
    }
    mutating func array(_ count: Int) -> [Float] { (0..<count).map { _ in next() } }
}
