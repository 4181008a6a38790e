import TxfCore

/// Dense layer over all tokens at once, weights in Hugging Face's [out, in] layout.
///
/// Forward: `y[T, out] = x[T, in] · Wᵀ + b` (one sgemm, `transB`).
public enum Linear {
    /// x: [tokens, inFeatures], weight: [outFeatures, inFeatures], bias: [outFeatures] or nil
    /// -> y: [tokens, outFeatures] (overwritten).
    public static func forward(
        x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        y: UnsafeMutablePointer<Float>, tokens: Int, inFeatures: Int, outFeatures: Int
    ) {
        if let bias {
            // Start every row at the bias so the sgemm can accumulate onto it (beta = 1).
            for t in 0 ..< tokens { (y + t * outFeatures).update(from: bias, count: outFeatures) }
        }
        gemm(transB: true, m: tokens, n: outFeatures, k: inFeatures,
             a: x, b: weight, beta: bias == nil ? 0 : 1, c: y)
    }

    /// Differentiates `y = x · Wᵀ + b`:
    /// `dx = dy · W` (overwritten, or added when `accumulateInput`), `dW += dyᵀ · x`,
    /// `db += Σ_t dy[t]`. Pass nil for gradients not wanted (frozen weights, first layer).
    ///
    /// dy: [tokens, outFeatures], x: [tokens, inFeatures], weight: [outFeatures, inFeatures],
    /// dx: [tokens, inFeatures], dWeight: [outFeatures, inFeatures], dBias: [outFeatures].
    public static func backward(
        dy: UnsafePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        dx: UnsafeMutablePointer<Float>?, accumulateInput: Bool = false,
        dWeight: UnsafeMutablePointer<Float>?, dBias: UnsafeMutablePointer<Float>?,
        tokens: Int, inFeatures: Int, outFeatures: Int
    ) {
        if let dx {
            gemm(m: tokens, n: inFeatures, k: outFeatures, a: dy, b: weight,
                 beta: accumulateInput ? 1 : 0, c: dx)
        }
        if let dWeight {
            gemm(transA: true, m: outFeatures, n: inFeatures, k: tokens, a: dy, b: x, beta: 1, c: dWeight)
        }
        if let dBias {
            for t in 0 ..< tokens {
                let row = dy + t * outFeatures
                for o in 0 ..< outFeatures { dBias[o] += row[o] }
            }
        }
    }
}
