import Foundation

/// Exact (erf) GELU, as BERT's `hidden_act: "gelu"`: `y = x · Φ(x) = ½ x (1 + erf(x / √2))`.
public enum GELU {
    /// x: [count] -> y: [count] (y may alias x only if x is not needed for backward).
    public static func forward(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, count: Int) {
        let invSqrt2: Float = 0.70710678118654752
        for i in 0 ..< count {
            let v = x[i]
            y[i] = 0.5 * v * (1 + erf(v * invSqrt2))
        }
    }

    /// Differentiates `y = ½ x (1 + erf(x/√2))`: `dx = dy · (Φ(x) + x · φ(x))`,
    /// φ(x) = exp(−x²/2) / √(2π). dy, x: [count] -> dx: [count] (overwritten; may alias dy).
    public static func backward(dy: UnsafePointer<Float>, x: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, count: Int) {
        let invSqrt2: Float = 0.70710678118654752
        let invSqrt2Pi: Float = 0.39894228040143268
        for i in 0 ..< count {
            let v = x[i]
            let cdf = 0.5 * (1 + erf(v * invSqrt2))
            let pdf = invSqrt2Pi * exp(-0.5 * v * v)
            dx[i] = dy[i] * (cdf + v * pdf)
        }
    }
}
