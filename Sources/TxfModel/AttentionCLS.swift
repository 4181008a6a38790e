import TxfCore

extension Attention {
    /// Attention of each sequence's first position ([CLS]) only, over all its real keys — what
    /// the last encoder block needs, since only [CLS] feeds the pooler. Per sequence b, head h,
    /// `len = lengths[b]`:
    ///
    ///     p  = softmax(q_bh · K_bhᵀ / √dh)      [len]
    ///     pd = dropout(p)                        (counters (h · positionStride) · positionStride + j:
    ///                                             query 0 of `forward`, so the same mask)
    ///     c_bh = pd · V_bh                       [dh]
    ///
    /// q: [batch, D] (the [CLS] queries); k, v: [batch·seqLen, D] -> ctx: [batch, D] (overwritten);
    /// probs: [batch, heads, seqLen] saves p (first len valid); mask: same shape, keep bytes when
    /// `keys` is given; keys: [batch] this site's dropout key per sample, or nil; scratch: [seqLen].
    public static func forwardFirstQuery(
        q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
        ctx: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>,
        mask: UnsafeMutablePointer<UInt8>?, keys: UnsafePointer<RandomKey>?, dropoutP: Float,
        positionStride: Int, scratch: UnsafeMutablePointer<Float>,
        lengths: UnsafePointer<Int>, batch: Int, seqLen: Int, heads: Int, headSize dh: Int
    ) {
        let d = heads * dh, s = seqLen
        let alpha = 1 / Float(dh).squareRoot()
        for b in 0 ..< batch {
            let len = lengths[b]
            for h in 0 ..< heads {
                let qh = q + b * d + h * dh
                let p = probs + (b * heads + h) * s
                // S = q Kᵀ / √dh, then P = softmax(S)
                for j in 0 ..< len {
                    let kj = k + (b * s + j) * d + h * dh
                    var dot: Float = 0
                    for e in 0 ..< dh { dot += qh[e] * kj[e] }
                    p[j] = alpha * dot
                }
                softmaxRow(p, count: len)
                // Pd = dropout(P)
                var pd = UnsafePointer(p)
                if let keys, let mask {
                    Dropout.forward(x: p, y: scratch, mask: mask + (b * heads + h) * s, count: len, p: dropoutP,
                                    key: keys[b], counter: UInt64(h * positionStride * positionStride))
                    pd = UnsafePointer(scratch)
                }
                // C = Pd V
                let out = ctx + b * d + h * dh
                out.update(repeating: 0, count: dh)
                for j in 0 ..< len {
                    let w = pd[j], vj = v + (b * s + j) * d + h * dh
                    for e in 0 ..< dh { out[e] += w * vj[e] }
                }
            }
        }
    }

    /// Differentiates `forwardFirstQuery`, in reverse order, per sequence b and head h:
    ///
    ///     c = pd V          ->  dpd = dc Vᵀ,  dV_j = pd_j dc
    ///     pd = dropout(p)   ->  dp = dpd · keep / (1 − p)
    ///     p = softmax(s)    ->  ds = p ∘ (dp − Σ dp ∘ p)
    ///     s = q Kᵀ / √dh    ->  dq = ds K / √dh,  dK_j = ds_j q / √dh
    ///
    /// dctx, q: [batch, D]; k, v: [batch·seqLen, D]; probs, mask: from forward ->
    /// dq: [batch, D], dk, dv: [batch·seqLen, D] (all overwritten; rows ≥ len zero);
    /// scratch: [seqLen].
    public static func backwardFirstQuery(
        dctx: UnsafePointer<Float>, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
        probs: UnsafePointer<Float>, mask: UnsafePointer<UInt8>?, dropoutP: Float,
        dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>,
        lengths: UnsafePointer<Int>, batch: Int, seqLen: Int, heads: Int, headSize dh: Int
    ) {
        let d = heads * dh, s = seqLen
        let alpha = 1 / Float(dh).squareRoot()
        let keepScale = 1 / (1 - dropoutP)
        dk.update(repeating: 0, count: batch * s * d)
        dv.update(repeating: 0, count: batch * s * d)
        for b in 0 ..< batch {
            let len = lengths[b]
            for h in 0 ..< heads {
                let p = probs + (b * heads + h) * s
                let m = mask.map { $0 + (b * heads + h) * s }
                let dc = dctx + b * d + h * dh, qh = q + b * d + h * dh
                let g = scratch
                // C = Pd V
                for j in 0 ..< len {
                    let keep: Float = m.map { $0[j] != 0 ? keepScale : 0 } ?? 1
                    let vj = v + (b * s + j) * d + h * dh, dvj = dv + (b * s + j) * d + h * dh
                    let pdj = p[j] * keep
                    var dot: Float = 0
                    for e in 0 ..< dh {
                        dot += dc[e] * vj[e]
                        dvj[e] = pdj * dc[e]
                    }
                    // Pd = dropout(P)
                    g[j] = dot * keep
                }
                // P = softmax(S), with the 1/√dh of S folded in
                var sum: Float = 0
                for j in 0 ..< len { sum += g[j] * p[j] }
                for j in 0 ..< len { g[j] = alpha * p[j] * (g[j] - sum) }
                // S = q Kᵀ
                let dqh = dq + b * d + h * dh
                dqh.update(repeating: 0, count: dh)
                for j in 0 ..< len {
                    let kj = k + (b * s + j) * d + h * dh, dkj = dk + (b * s + j) * d + h * dh
                    let gj = g[j]
                    for e in 0 ..< dh {
                        dqh[e] += gj * kj[e]
                        dkj[e] = gj * qh[e]
                    }
                }
            }
        }
    }
}
