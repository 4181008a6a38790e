import Foundation

/// Exact (erf) GELU, as BERT's `hidden_act: "gelu"`: `y = x · Φ(x) = ½ x (1 + erf(x / √2))`.
///
/// Eight lanes at a time with `VectorMath.erf` (a rational minimax fit, |error| ≈ 1e−7: the
/// same function as libm's `erff` to Float precision, at a fraction of its cost); the tail of a
/// count not divisible by 8 goes through the same vector code on a padded copy, so every
/// element gets the same formula wherever it sits.
public enum GELU {
    static let invSqrt2: Float = 0.70710678118654752
    static let invSqrt2Pi: Float = 0.39894228040143268

    /// x: [count] -> y: [count] (y may alias x only if x is not needed for backward).
    public static func forward(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count {
            y.store8(value(x.load8(i)), i)
            i += 8
        }
        if i < count {
            var tail = Float8(), n = count - i
            for j in 0 ..< n { tail[j] = x[i + j] }
            tail = value(tail)
            for j in 0 ..< n { y[i + j] = tail[j] }
        }
    }

    /// ½ v (1 + erf(v/√2)).
    @inline(__always)
    static func value(_ v: Float8) -> Float8 {
        0.5 * v * (1 + VectorMath.erf(v * invSqrt2))
    }

    /// Φ(v) + v·φ(v), φ(v) = exp(−v²/2) / √(2π).
    @inline(__always)
    static func slope(_ v: Float8) -> Float8 {
        let cdf = 0.5 * (1 + VectorMath.erf(v * invSqrt2))
        let pdf = invSqrt2Pi * VectorMath.exp(-0.5 * v * v)
        return cdf + v * pdf
    }

    /// Differentiates `y = ½ x (1 + erf(x/√2))`: `dx = dy · (Φ(x) + x · φ(x))`,
    /// φ(x) = exp(−x²/2) / √(2π). dy, x: [count] -> dx: [count] (overwritten; may alias dy).
    public static func backward(dy: UnsafePointer<Float>, x: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count {
            dx.store8(dy.load8(i) * slope(x.load8(i)), i)
            i += 8
        }
        if i < count {
            var v = Float8(), d = Float8(), n = count - i
            for j in 0 ..< n { v[j] = x[i + j]; d[j] = dy[i + j] }
            d = d * slope(v)
            for j in 0 ..< n { dx[i + j] = d[j] }
        }
    }
}
