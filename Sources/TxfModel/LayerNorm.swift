/// Layer normalisation over the last dimension, per row:
/// `y = (x − mean) · rstd · γ + β` with `rstd = 1 / sqrt(var + eps)` (biased variance, as BERT).
public enum LayerNorm {
    /// x: [rows, dim], gamma, beta: [dim] -> y: [rows, dim]; saves mean, rstd: [rows] for backward.
    /// `y` may alias `x` only if the caller does not need `x` for backward (it does here: don't).
    public static func forward(
        x: UnsafePointer<Float>, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
        y: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
        rows: Int, dim: Int, eps: Float
    ) {
        let invDim = 1 / Float(dim)
        for r in 0 ..< rows {
            let xr = x + r * dim, yr = y + r * dim
            var sum: Float = 0
            for i in 0 ..< dim { sum += xr[i] }
            let m = sum * invDim
            // Two passes: the centred sum of squares keeps precision when |mean| >> std.
            var sq: Float = 0
            for i in 0 ..< dim { let c = xr[i] - m; sq += c * c }
            let s = 1 / (sq * invDim + eps).squareRoot()
            for i in 0 ..< dim { yr[i] = (xr[i] - m) * s * gamma[i] + beta[i] }
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
        for r in 0 ..< rows {
            let dyr = dy + r * dim, xr = x + r * dim, dxr = dx + r * dim
            let m = mean[r], s = rstd[r]
            var sumG: Float = 0, sumGX: Float = 0
            for i in 0 ..< dim {
                let g = dyr[i] * gamma[i]
                sumG += g
                sumGX += g * (xr[i] - m) * s
            }
            let meanG = sumG * invDim, meanGX = sumGX * invDim
            if let dGamma { for i in 0 ..< dim { dGamma[i] += dyr[i] * (xr[i] - m) * s } }
            if let dBeta { for i in 0 ..< dim { dBeta[i] += dyr[i] } }
            for i in 0 ..< dim {
                let xhat = (xr[i] - m) * s
                let v = s * (dyr[i] * gamma[i] - meanG - xhat * meanGX)
                dxr[i] = accumulate ? dxr[i] + v : v
            }
        }
    }
}
