/// Sum of word, position and token-type embeddings (before the embedding LayerNorm):
/// `e[b, t] = word[tokens[b, t]] + position[t] + type[types[b, t]]`.
public enum Embeddings {
    /// tokens: [batch, seqLen] ids in 0..<V; types: [batch, seqLen] ids or nil (all type 0);
    /// word: [V, D], position: [P, D] (seqLen ≤ P), type: [typeVocab, D] -> out: [batch·seqLen, D].
    /// Padded positions are embedded too (their pad ids are valid ids); they are never read
    /// by a real position downstream.
    public static func forward(
        tokens: UnsafePointer<Int32>, types: UnsafePointer<Int32>?,
        word: UnsafePointer<Float>, position: UnsafePointer<Float>, type: UnsafePointer<Float>,
        out: UnsafeMutablePointer<Float>, batch: Int, seqLen: Int, dim: Int
    ) {
        for b in 0 ..< batch {
            for t in 0 ..< seqLen {
                let i = b * seqLen + t
                let w = word + Int(tokens[i]) * dim, p = position + t * dim
                let ty = type + Int(types?[i] ?? 0) * dim
                let o = out + i * dim
                for f in 0 ..< dim { o[f] = w[f] + p[f] + ty[f] }
            }
        }
    }

    /// Differentiates `e = word[token] + position[t] + type[tt]` by scatter-add of `de` into the
    /// rows used, for real positions `t < lengths[b]` only (padded positions carry no gradient).
    /// de: [batch·seqLen, D]; dWord: [V, D], dPosition: [P, D], dType: [typeVocab, D], each nil
    /// when frozen. touchedWordRows: [V], set to 1 at every word row added to (or nil).
    public static func backward(
        de: UnsafePointer<Float>, tokens: UnsafePointer<Int32>, types: UnsafePointer<Int32>?,
        lengths: UnsafePointer<Int>,
        dWord: UnsafeMutablePointer<Float>?, dPosition: UnsafeMutablePointer<Float>?, dType: UnsafeMutablePointer<Float>?,
        touchedWordRows: UnsafeMutablePointer<Float>? = nil,
        batch: Int, seqLen: Int, dim: Int
    ) {
        for b in 0 ..< batch {
            for t in 0 ..< lengths[b] {
                let i = b * seqLen + t
                let g = de + i * dim
                if let dWord {
                    touchedWordRows?[Int(tokens[i])] = 1
                    let w = dWord + Int(tokens[i]) * dim
                    for f in 0 ..< dim { w[f] += g[f] }
                }
                if let dPosition {
                    let p = dPosition + t * dim
                    for f in 0 ..< dim { p[f] += g[f] }
                }
                if let dType {
                    let ty = dType + Int(types?[i] ?? 0) * dim
                    for f in 0 ..< dim { ty[f] += g[f] }
                }
            }
        }
    }
}
