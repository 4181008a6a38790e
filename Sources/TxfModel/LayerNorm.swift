/// Layer normalisation over the last dimension, per row:
/// `y = (x − mean) · rstd · γ + β` with `rstd = 1 / sqrt(var + eps)` (biased variance, as BERT).
///
/// Rows are processed eight features at a time (with a scalar tail for widths not divisible
/// by 8); sums are taken per lane and then across lanes, so results differ from a sequential
/// sum only by summation order.
public enum LayerNorm {
    /// x: [rows, dim], gamma, beta: [dim] -> y: [rows, dim]; saves mean, rstd: [rows] for backward.
    /// `y` may alias `x` only if the caller does not need `x` for backward (it does here: don't).
    public static func forward(
        x: UnsafePointer<Float>, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
        y: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
        rows: Int, dim: Int, eps: Float
    ) {
        let invDim = 1 / Float(dim)
        let vectorEnd = dim - dim % 8
        for r in 0 ..< rows {
            let xr = x + r * dim, yr = y + r * dim
            var acc = Float8()
            var i = 0
            while i < vectorEnd { acc += xr.load8(i); i += 8 }
            var sum = VectorMath.sum(acc)
            while i < dim { sum += xr[i]; i += 1 }
            let m = sum * invDim
            // Two passes: the centred sum of squares keeps precision when |mean| >> std.
            acc = Float8()
            i = 0
            while i < vectorEnd { let c = xr.load8(i) - m; acc += c * c; i += 8 }
            var sq = VectorMath.sum(acc)
            while i < dim { let c = xr[i] - m; sq += c * c; i += 1 }
            let s = 1 / (sq * invDim + eps).squareRoot()
            i = 0
            while i < vectorEnd {
                yr.store8((xr.load8(i) - m) * s * gamma.load8(i) + beta.load8(i), i)
                i += 8
            }
            while i < dim { yr[i] = (xr[i] - m) * s * gamma[i] + beta[i]; i += 1 }
            mean[r] = m
            rstd[r] = s
        }
    }

    /// Differentiates `y = (x − mean) · rstd · γ + β`, with x̂ = (x − mean) · rstd, g = dy · γ:
    /// `dx = rstd · (g − mean(g) − x̂ · mean(g · x̂))` (overwritten, or added when `accumulate`),
    /// `dγ += Σ_rows dy · x̂`, `dβ += Σ_rows dy`.
    ///
    /// dy, x: [rows, dim]; gamma: [dim]; mean, rstd: [rows] from forward; dx: [rows, dim]
    /// (may alias dy when not accumulating); dGamma, dBeta: [dim] or nil when frozen.
    public static func backward(
        dy: UnsafePointer<Float>, x: UnsafePointer<Float>, gamma: UnsafePointer<Float>,
        mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
        dx: UnsafeMutablePointer<Float>, accumulate: Bool = false,
        dGamma: UnsafeMutablePointer<Float>?, dBeta: UnsafeMutablePointer<Float>?,
        rows: Int, dim: Int
    ) {
        let invDim = 1 / Float(dim)
        let vectorEnd = dim - dim % 8
        for r in 0 ..< rows {
            let dyr = dy + r * dim, xr = x + r * dim, dxr = dx + r * dim
            let m = mean[r], s = rstd[r]
            // Pass 1: Σ g and Σ g·x̂, and the parameter gradients (they need the same x̂).
            var accG = Float8(), accGX = Float8()
            var i = 0
            while i < vectorEnd {
                let d = dyr.load8(i), xhat = (xr.load8(i) - m) * s
                let g = d * gamma.load8(i)
                accG += g
                accGX += g * xhat
                if let dGamma { dGamma.store8(dGamma.load8(i) + d * xhat, i) }
                if let dBeta { dBeta.store8(dBeta.load8(i) + d, i) }
                i += 8
            }
            var sumG = VectorMath.sum(accG), sumGX = VectorMath.sum(accGX)
            while i < dim {
                let d = dyr[i], xhat = (xr[i] - m) * s
                let g = d * gamma[i]
                sumG += g
                sumGX += g * xhat
                if let dGamma { dGamma[i] += d * xhat }
                if let dBeta { dBeta[i] += d }
                i += 1
            }
            let meanG = sumG * invDim, meanGX = sumGX * invDim
            // Pass 2: dx (reads dy before writing dx, so dx may alias dy).
            i = 0
            while i < vectorEnd {
                let xhat = (xr.load8(i) - m) * s
                let v = s * (dyr.load8(i) * gamma.load8(i) - meanG - xhat * meanGX)
                dxr.store8(accumulate ? dxr.load8(i) + v : v, i)
                i += 8
            }
            while i < dim {
                let xhat = (xr[i] - m) * s
                let v = s * (dyr[i] * gamma[i] - meanG - xhat * meanGX)
                dxr[i] = accumulate ? dxr[i] + v : v
                i += 1
            }
        }
    }
}
