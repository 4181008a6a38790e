import Foundation
import Testing
@testable import TxfModel

/// The vector `exp` and `erf` against Double libm over a dense grid, and GELU against the
/// Double formula: the approximations must be as good as Float libm, not merely plausible.
@Suite struct VectorMathTests {
    /// Lanes 0..<8 of a grid starting at `start` with `step`.
    private func lanes(_ start: Double, _ step: Double) -> Float8 {
        var v = Float8()
        for j in 0 ..< 8 { v[j] = Float(start + Double(j) * step) }
        return v
    }

    @Test func expWithinFourUlpsOverTheFloatRange() {
        var worst = 0.0
        var x = -87.0
        while x < 88.5 {
            let v = lanes(x, 0.0013)
            let e = VectorMath.exp(v)
            for j in 0 ..< 8 {
                let exact = Foundation.exp(Double(v[j]))
                worst = max(worst, abs(Double(e[j]) - exact) / exact)
            }
            x += 0.0104
        }
        // 2 ulp of Float is 2.4e-7 relative; allow 4 ulp.
        #expect(worst < 4.8e-7, "worst relative error \(worst)")
        // Far below the range: 0, not garbage; far above: finite.
        #expect(VectorMath.exp(Float8(repeating: -200)) == Float8(repeating: 0))
        #expect(VectorMath.exp(Float8(repeating: 200))[0].isFinite)
    }

    @Test func erfWithinFiveTenMillionthsAbsolute() {
        var worst = 0.0
        var x = -6.0
        while x < 6 {
            let v = lanes(x, 0.0001)
            let e = VectorMath.erf(v)
            for j in 0 ..< 8 { worst = max(worst, abs(Double(e[j]) - Foundation.erf(Double(v[j])))) }
            x += 0.0008
        }
        // The fit's own error: ≤ 4.2e-7 (about 3.5 ulp near ±1, where it is largest); libm's
        // erff rounded to Float is within 3e-8.
        #expect(worst < 5e-7, "worst absolute error \(worst)")
    }

    @Test func geluAndItsSlopeMatchTheDoubleFormula() {
        var values = [Float](), out = [Float](repeating: 0, count: 1003), slope = [Float](repeating: 0, count: 1003)
        for i in 0 ..< 1003 { values.append(Float(-8 + 16 * Double(i) / 1002)) }  // odd count: tail path too
        let ones = [Float](repeating: 1, count: 1003)
        GELU.forward(x: values, y: &out, count: values.count)
        GELU.backward(dy: ones, x: values, dx: &slope, count: values.count)
        for (i, v) in values.enumerated() {
            let x = Double(v)
            let cdf = 0.5 * (1 + Foundation.erf(x / 2.0.squareRoot()))
            let pdf = Foundation.exp(-0.5 * x * x) / (2 * Double.pi).squareRoot()
            #expect(abs(Double(out[i]) - x * cdf) <= 1e-6 * max(1, abs(x)), "gelu(\(x))")
            #expect(abs(Double(slope[i]) - (cdf + x * pdf)) <= 1e-6, "gelu'(\(x))")
        }
    }
}
