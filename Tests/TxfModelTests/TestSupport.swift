// The shared test helpers (assertClose), for every file of this target.
@_exported import TxfTestSupport
import Testing
import TxfCore
@testable import TxfModel

/// Tolerances of the Float-forward finite-difference checks (`assertClose`).
///
/// Why these: the layers compute in Float, so a central difference `(f(x+ε) − f(x−ε)) / 2ε`
/// of an objective of magnitude |f| carries a rounding error of about 1e-7·|f|/ε on top of a
/// truncation error of about ε²·|f'''|/6. With ε = 1e-2 and |f| of order 1–10 both are around
/// 1e-5–1e-4, so an absolute tolerance of 1e-3 plus a relative one of 1e-2 passes every
/// correct gradient with margin, while a wrong gradient (missing term, wrong sign, transposed
/// weight) is off by a factor of order 1. Comparisons of two Float computations of the same
/// quantity (padding, micro-batch splits) differ only by summation order and use ~1e-5.
let fdRelative = 1e-2, fdAbsolute = 1e-3
/// Step of the central differences.
let fdStep: Float = 1e-2

/// The OpenBLAS engine for layer tests that call `Linear`, `Attention` or `Pooler` directly.
var fp32Products: MatrixProducts { try! MatrixProducts(mode: .openBLAS, preparedTokens: 1) }

/// A buffer of `count` uniform values in [-scale, scale) drawn from `key` (deterministic).
func randomBuffer(_ count: Int, key: RandomKey, scale: Float = 1, offset: Float = 0) -> FloatBuffer {
    let buffer = FloatBuffer(count: count)
    for i in 0 ..< count { buffer[i] = offset + scale * (2 * key.uniform(UInt64(i)) - 1) }
    return buffer
}

/// Σ_i weights[i] · values[i] in Double: the scalar objective whose gradient w.r.t. `values`
/// is `weights` (used as the upstream gradient dy of a layer).
func weightedSum(_ values: UnsafePointer<Float>, _ weights: FloatBuffer) -> Double {
    var s = 0.0
    for i in 0 ..< weights.count { s += Double(values[i]) * Double(weights[i]) }
    return s
}

/// Central-difference derivative of `objective` w.r.t. `values[index]`, restoring the value.
/// Divides by the step actually represented in Float.
func centralDifference(_ values: UnsafeMutablePointer<Float>, _ index: Int, step: Float = fdStep,
                       _ objective: () -> Double) -> Double {
    let original = values[index]
    let up = original + step, down = original - step
    values[index] = up
    let fUp = objective()
    values[index] = down
    let fDown = objective()
    values[index] = original
    return (fUp - fDown) / (Double(up) - Double(down))
}

/// Compares `analytic[i]` with the central difference at every index in `indices`; returns the
/// largest absolute difference seen.
@discardableResult
func checkGradient(
    _ name: String, values: UnsafeMutablePointer<Float>, analytic: UnsafePointer<Float>, indices: some Sequence<Int>,
    relativeTolerance: Double = fdRelative, absoluteTolerance: Double = fdAbsolute, step: Float = fdStep,
    sourceLocation: SourceLocation = #_sourceLocation, _ objective: () -> Double
) -> Double {
    var worst = 0.0
    for i in indices {
        let numeric = centralDifference(values, i, step: step, objective)
        worst = max(worst, abs(numeric - Double(analytic[i])))
        assertClose(Double(analytic[i]), numeric, relativeTolerance: relativeTolerance,
                    absoluteTolerance: absoluteTolerance, "\(name)[\(i)]", sourceLocation: sourceLocation)
    }
    return worst
}
