import Testing

/// Checks two arrays element by element:
/// |actual − expected| ≤ absoluteTolerance + relativeTolerance · max(|actual|, |expected|).
///
/// Symmetric, so swapping the two arguments never changes the verdict. Why both bounds: a
/// relative bound alone fails on values that should be 0 but carry rounding error from larger
/// terms; an absolute bound alone is meaningless for large values. Each test states both and
/// why (e.g. "Float sums of k products of |x| ≤ 1: error ≤ k·2⁻²⁴"). A failure reports the
/// count of violations and the worst one, with its index; `comment` is built only then.
public func assertClose<A: Collection, E: Collection>(
    _ actual: A, _ expected: E,
    relativeTolerance: Double, absoluteTolerance: Double = 0,
    _ comment: @autoclosure () -> String = "",
    sourceLocation: SourceLocation = #_sourceLocation
) where A.Element: BinaryFloatingPoint, E.Element: BinaryFloatingPoint {
    func context() -> String { let text = comment(); return text.isEmpty ? "" : ": \(text)" }
    guard actual.count == expected.count else {
        Issue.record(Comment(rawValue: "count \(actual.count) != expected \(expected.count)\(context())"),
                     sourceLocation: sourceLocation)
        return
    }
    var violations = 0
    var worst: (index: Int, actual: Double, expected: Double, excess: Double)?
    for (index, (a, e)) in zip(actual, expected).enumerated() {
        let a = Double(a), e = Double(e)
        let bound = absoluteTolerance + relativeTolerance * max(abs(a), abs(e))
        let error = abs(a - e)
        // `!(error <= bound)` also catches NaN.
        if !(error <= bound) {
            violations += 1
            let excess = error.isNaN ? .infinity : error / max(bound, .leastNonzeroMagnitude)
            if worst == nil || excess > worst!.excess { worst = (index, a, e, excess) }
        }
    }
    if let worst {
        let place = actual.count == 1 ? "" : "\(violations) of \(actual.count) elements outside tolerance; worst at [\(worst.index)]: "
        Issue.record(Comment(rawValue: """
            \(place)\(worst.actual) vs \(worst.expected), error \(abs(worst.actual - worst.expected)) \
            > rel \(relativeTolerance), abs \(absoluteTolerance)\(context())
            """), sourceLocation: sourceLocation)
    }
}

/// Scalar form of `assertClose`.
public func assertClose<T: BinaryFloatingPoint, U: BinaryFloatingPoint>(
    _ actual: T, _ expected: U,
    relativeTolerance: Double, absoluteTolerance: Double = 0,
    _ comment: @autoclosure () -> String = "",
    sourceLocation: SourceLocation = #_sourceLocation
) {
    assertClose(CollectionOfOne(actual), CollectionOfOne(expected), relativeTolerance: relativeTolerance,
                absoluteTolerance: absoluteTolerance, comment(), sourceLocation: sourceLocation)
}
