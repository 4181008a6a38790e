import Foundation

/// BERT's pooler: the last hidden state of each sequence's first token ([CLS]) through a dense
/// layer and tanh: `pooled[b] = tanh(W · h[b, 0] + bias)`.
public enum Pooler {
    /// hidden: [batch·seqLen, D]; weight: [D, D]; bias: [D] ->
    /// cls: [batch, D] (the gathered [CLS] rows, saved for backward), pooled: [batch, D].
    public static func forward(
        hidden: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        cls: UnsafeMutablePointer<Float>, pooled: UnsafeMutablePointer<Float>,
        batch: Int, seqLen: Int, dim: Int, products: MatrixProducts
    ) {
        for b in 0 ..< batch { (cls + b * dim).update(from: hidden + b * seqLen * dim, count: dim) }
        Linear.forward(x: cls, weight: weight, bias: bias, y: pooled, tokens: batch, inFeatures: dim, outFeatures: dim, products: products)
        for i in 0 ..< batch * dim { pooled[i] = tanh(pooled[i]) }
    }

    /// Differentiates `pooled = tanh(cls · Wᵀ + b)` and the [CLS] gather:
    /// `dz = dpooled · (1 − pooled²)` (written into `dpooled`, which is consumed),
    /// `dcls = dz · W` scattered to row 0 of each sequence of `dhidden` (all other rows set to 0).
    /// dpooled, pooled: [batch, D]; dhidden: [batch·seqLen, D] (overwritten); dcls: [batch, D] scratch.
    public static func backward(
        dpooled: UnsafeMutablePointer<Float>, pooled: UnsafePointer<Float>, cls: UnsafePointer<Float>,
        weight: UnsafePointer<Float>, dWeight: UnsafeMutablePointer<Float>?, dBias: UnsafeMutablePointer<Float>?,
        dcls: UnsafeMutablePointer<Float>, dhidden: UnsafeMutablePointer<Float>,
        batch: Int, seqLen: Int, dim: Int, products: MatrixProducts
    ) {
        // pooled = tanh(z)
        for i in 0 ..< batch * dim { dpooled[i] *= 1 - pooled[i] * pooled[i] }
        // z = cls · Wᵀ + b
        Linear.backward(dy: dpooled, x: cls, weight: weight, dx: dcls, dWeight: dWeight, dBias: dBias,
                        tokens: batch, inFeatures: dim, outFeatures: dim, products: products)
        // cls[b] = hidden[b, 0]
        dhidden.update(repeating: 0, count: batch * seqLen * dim)
        for b in 0 ..< batch { (dhidden + b * seqLen * dim).update(from: dcls + b * dim, count: dim) }
    }
}
