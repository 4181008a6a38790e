import TxfCore

/// Dense layer over all tokens at once, weights in Hugging Face's [out, in] layout, its
/// products on the model's engine (`MatrixProducts`).
///
/// Forward: `y[T, out] = x[T, in] · Wᵀ + b` (one product with the weight, `transB`).
public enum Linear {
    /// x: [tokens, inFeatures], weight: [outFeatures, inFeatures], bias: [outFeatures] or nil
    /// -> y: [tokens, outFeatures] (overwritten).
    public static func forward(
        x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        y: UnsafeMutablePointer<Float>, tokens: Int, inFeatures: Int, outFeatures: Int,
        products: MatrixProducts
    ) {
        if let bias {
            // Start every row at the bias so the product can accumulate onto it (beta = 1).
            for t in 0 ..< tokens { (y + t * outFeatures).update(from: bias, count: outFeatures) }
        }
        products.gemm(transB: true, m: tokens, n: outFeatures, k: inFeatures,
                      a: x, weight: weight, beta: bias == nil ? 0 : 1, c: y)
    }

    /// Differentiates `y = x · Wᵀ + b`:
    /// `dx = dy · W` (overwritten, or added when `accumulateInput`), `dW += dyᵀ · x`,
    /// `db += Σ_t dy[t]`. Pass nil for gradients not wanted (frozen weights, first layer).
    /// The weight gradient is a product of two activations (both rounded in the bf16 modes),
    /// accumulated in fp32 into dWeight.
    ///
    /// dy: [tokens, outFeatures], x: [tokens, inFeatures], weight: [outFeatures, inFeatures],
    /// dx: [tokens, inFeatures], dWeight: [outFeatures, inFeatures], dBias: [outFeatures].
    public static func backward(
        dy: UnsafePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        dx: UnsafeMutablePointer<Float>?, accumulateInput: Bool = false,
        dWeight: UnsafeMutablePointer<Float>?, dBias: UnsafeMutablePointer<Float>?,
        tokens: Int, inFeatures: Int, outFeatures: Int, products: MatrixProducts
    ) {
        if let dx {
            products.gemm(transB: false, m: tokens, n: inFeatures, k: outFeatures, a: dy, weight: weight,
                          beta: accumulateInput ? 1 : 0, c: dx)
        }
        if let dWeight {
            products.gemm(transA: true, m: outFeatures, n: inFeatures, k: tokens, a: dy, b: x, beta: 1, c: dWeight)
        }
        if let dBias {
            for t in 0 ..< tokens {
                let row = dy + t * outFeatures
                for o in 0 ..< outFeatures { dBias[o] += row[o] }
            }
        }
    }
}
