import Foundation

/// What the classifier reads of the encoder's last hidden states (`classifier_pooling` in
/// config.json, ModernBERT's key and values).
public enum Pooling: String, CaseIterable, Codable, Sendable {
    /// BERT's: the first token's ([CLS]) hidden state.
    case cls
    /// The mean of each sequence's hidden states over its real tokens ([CLS] and [SEP]
    /// included, padding not), as sentence-transformers pools MiniLM.
    case mean
}

/// BERT's pooler over a per-sequence summary of the last hidden states: the [CLS] row or the
/// mean of the real rows (`Pooling`), through a dense layer and tanh:
/// `pooled[b] = tanh(W · s[b] + bias)`.
public enum Pooler {
    /// hidden: [batch·seqLen, D]; lengths: [batch] real tokens per row; weight: [D, D]; bias: [D] ->
    /// summary: [batch, D] (the [CLS] rows or the means, saved for backward), pooled: [batch, D].
    public static func forward(
        hidden: UnsafePointer<Float>, lengths: UnsafePointer<Int>, pooling: Pooling,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        summary: UnsafeMutablePointer<Float>, pooled: UnsafeMutablePointer<Float>,
        batch: Int, seqLen: Int, dim: Int, products: MatrixProducts
    ) {
        for b in 0 ..< batch {
            let s = summary + b * dim, row = hidden + b * seqLen * dim
            switch pooling {
            case .cls:
                s.update(from: row, count: dim)
            case .mean:
                // s = (1/len) Σ_{t < len} h[b, t]
                s.update(repeating: 0, count: dim)
                for t in 0 ..< lengths[b] {
                    let h = row + t * dim
                    for j in 0 ..< dim { s[j] += h[j] }
                }
                let inverse = 1 / Float(lengths[b])
                for j in 0 ..< dim { s[j] *= inverse }
            }
        }
        Linear.forward(x: summary, weight: weight, bias: bias, y: pooled, tokens: batch, inFeatures: dim, outFeatures: dim, products: products)
        for i in 0 ..< batch * dim { pooled[i] = tanh(pooled[i]) }
    }

    /// Differentiates `pooled = tanh(s · Wᵀ + b)` and the summary:
    /// `dz = dpooled · (1 − pooled²)` (written into `dpooled`, which is consumed), `ds = dz · W`,
    /// then for [CLS] `dhidden[b, 0] = ds[b]`, for the mean `dhidden[b, t] = ds[b] / len_b` for
    /// t < len_b; every other row of `dhidden` is set to 0.
    /// dpooled, pooled, summary: [batch, D]; dhidden: [batch·seqLen, D] (overwritten); dsummary: [batch, D] scratch.
    public static func backward(
        dpooled: UnsafeMutablePointer<Float>, pooled: UnsafePointer<Float>, summary: UnsafePointer<Float>,
        lengths: UnsafePointer<Int>, pooling: Pooling,
        weight: UnsafePointer<Float>, dWeight: UnsafeMutablePointer<Float>?, dBias: UnsafeMutablePointer<Float>?,
        dsummary: UnsafeMutablePointer<Float>, dhidden: UnsafeMutablePointer<Float>,
        batch: Int, seqLen: Int, dim: Int, products: MatrixProducts
    ) {
        // pooled = tanh(z)
        for i in 0 ..< batch * dim { dpooled[i] *= 1 - pooled[i] * pooled[i] }
        // z = s · Wᵀ + b
        Linear.backward(dy: dpooled, x: summary, weight: weight, dx: dsummary, dWeight: dWeight, dBias: dBias,
                        tokens: batch, inFeatures: dim, outFeatures: dim, products: products)
        dhidden.update(repeating: 0, count: batch * seqLen * dim)
        for b in 0 ..< batch {
            let ds = dsummary + b * dim, drow = dhidden + b * seqLen * dim
            switch pooling {
            case .cls:
                drow.update(from: ds, count: dim)
            case .mean:
                let inverse = 1 / Float(lengths[b])
                for j in 0 ..< dim { ds[j] *= inverse }
                for t in 0 ..< lengths[b] { (drow + t * dim).update(from: ds, count: dim) }
            }
        }
    }
}
