/// Sum of word, position and token-type embeddings (before the embedding LayerNorm):
/// `e[b, t] = keep[b, t] · word[tokens[b, t]] + position[t] + type[types[b, t]]`, keep 1 but
/// where token dropout left a word out.
public enum Embeddings {
    /// tokens: [batch, seqLen] ids in 0..<V; types: [batch, seqLen] ids or nil (all type 0);
    /// word: [V, D], position: [P, D] (seqLen ≤ P), type: [typeVocab, D] -> out: [batch·seqLen, D].
    /// Padded positions are embedded too (their pad ids are valid ids); they are never read
    /// by a real position downstream. wordKeep: [batch, seqLen] 0 where the word is dropped, or nil.
    public static func forward(
        tokens: UnsafePointer<Int32>, types: UnsafePointer<Int32>?,
        word: UnsafePointer<Float>, position: UnsafePointer<Float>, type: UnsafePointer<Float>,
        wordKeep: UnsafePointer<UInt8>? = nil,
        out: UnsafeMutablePointer<Float>, batch: Int, seqLen: Int, dim: Int
    ) {
        for b in 0 ..< batch {
            for t in 0 ..< seqLen {
                let i = b * seqLen + t
                let w = word + Int(tokens[i]) * dim, p = position + t * dim
                let ty = type + Int(types?[i] ?? 0) * dim
                let o = out + i * dim
                if let wordKeep, wordKeep[i] == 0 {
                    for f in 0 ..< dim { o[f] = p[f] + ty[f] }
                } else {
                    for f in 0 ..< dim { o[f] = w[f] + p[f] + ty[f] }
                }
            }
        }
    }

    /// Differentiates `e = word[token] + position[t] + type[tt]` by scatter-add of `de` into the
    /// rows used, for real positions `t < lengths[b]` only (padded positions carry no gradient);
    /// a word `wordKeep` dropped gets none.
    /// de: [batch·seqLen, D]; dWord: [V, D], dPosition: [P, D], dType: [typeVocab, D], each nil
    /// when frozen. touchedWordRows: [V], set to 1 at every word row added to (or nil).
    public static func backward(
        de: UnsafePointer<Float>, tokens: UnsafePointer<Int32>, types: UnsafePointer<Int32>?,
        lengths: UnsafePointer<Int>, wordKeep: UnsafePointer<UInt8>? = nil,
        dWord: UnsafeMutablePointer<Float>?, dPosition: UnsafeMutablePointer<Float>?, dType: UnsafeMutablePointer<Float>?,
        touchedWordRows: UnsafeMutablePointer<Float>? = nil,
        batch: Int, seqLen: Int, dim: Int
    ) {
        for b in 0 ..< batch {
            for t in 0 ..< lengths[b] {
                let i = b * seqLen + t
                let g = de + i * dim
                if let dWord, wordKeep?[i] ?? 1 != 0 {
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
