import TxfCore

/// Attention with every product batched over the heads of a sequence, for the oneDNN engines
/// (`MatrixProducts.batchesHeads`): one call per sequence and product instead of one per head,
/// which keeps the small [len, dh] products off the per-call overhead. Same formulas, layouts
/// and dropout masks as the per-head `forward` and `backward`; the heads of Q, K, V, C are the
/// column blocks h·dh ..< (h+1)·dh of [tokens, D] rows (batch stride dh), those of P and its
/// gradients the [seqLen, seqLen] planes of [heads, seqLen, seqLen] (batch stride seqLen²).
extension Attention {
    /// As `forward` (same arguments), with Pd of all heads in the engine's head scratch.
    static func forwardBatched(
        q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
        ctx: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>,
        mask: UnsafeMutablePointer<UInt8>?, keys: UnsafePointer<RandomKey>?, dropoutP: Float,
        positionStride: Int, lengths: UnsafePointer<Int>, batch: Int, seqLen: Int, heads: Int, headSize dh: Int,
        products: MatrixProducts
    ) {
        let d = heads * dh, s = seqLen, plane = s * s
        let alpha = 1 / Float(dh).squareRoot()
        let (dropped, _) = products.headScratch(count: heads * plane)
        for b in 0 ..< batch {
            let len = lengths[b]
            let rowBase = b * s * d, pBase = b * heads * plane
            (ctx + rowBase + len * d).update(repeating: 0, count: (s - len) * d)
            // S = Q Kᵀ / √dh, all heads
            products.batchedGemm(batch: heads, transB: true, m: len, n: len, k: dh, alpha: alpha,
                                 a: q + rowBase, lda: d, strideA: dh, b: k + rowBase, ldb: d, strideB: dh,
                                 c: probs + pBase, ldc: s, strideC: plane)
            for h in 0 ..< heads {
                _ = headProbabilities(probs + pBase + h * plane, len: len, seqLen: s, head: h,
                                      mask: mask.map { $0 + pBase + h * plane }, key: keys?[b], dropoutP: dropoutP,
                                      positionStride: positionStride, dropped: dropped + h * plane)
            }
            // Pd: P's planes, or their dropped copies in scratch
            let pd = UnsafePointer(keys != nil && mask != nil ? dropped : probs + pBase)
            // C = Pd V, all heads
            products.batchedGemm(batch: heads, m: len, n: dh, k: len, a: pd, lda: s, strideA: plane,
                                 b: v + rowBase, ldb: d, strideB: dh, c: ctx + rowBase, ldc: d, strideC: dh)
        }
    }

    /// As `backward` (same arguments but the per-head scratch, which comes from the engine).
    static func backwardBatched(
        dctx: UnsafePointer<Float>, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
        probs: UnsafePointer<Float>, mask: UnsafePointer<UInt8>?, dropoutP: Float,
        dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>,
        lengths: UnsafePointer<Int>, batch: Int, seqLen: Int, heads: Int, headSize dh: Int,
        products: MatrixProducts
    ) {
        let d = heads * dh, s = seqLen, plane = s * s
        let alpha = 1 / Float(dh).squareRoot()
        let keepScale = 1 / (1 - dropoutP)
        let (dropped, grad) = products.headScratch(count: heads * plane)
        for b in 0 ..< batch {
            let len = lengths[b]
            let rowBase = b * s * d, pBase = b * heads * plane
            let padded = (s - len) * d
            (dq + rowBase + len * d).update(repeating: 0, count: padded)
            (dk + rowBase + len * d).update(repeating: 0, count: padded)
            (dv + rowBase + len * d).update(repeating: 0, count: padded)
            let p = probs + pBase
            var pd = p
            if let mask {
                for h in 0 ..< heads {
                    _ = droppedProbabilities(p + h * plane, mask: mask + pBase + h * plane, len: len, seqLen: s,
                                             keepScale: keepScale, into: dropped + h * plane)
                }
                pd = UnsafePointer(dropped)
            }
            // C = Pd V: dPd = dC Vᵀ, dV = Pdᵀ dC
            products.batchedGemm(batch: heads, transB: true, m: len, n: len, k: dh, a: dctx + rowBase, lda: d, strideA: dh,
                                 b: v + rowBase, ldb: d, strideB: dh, c: grad, ldc: s, strideC: plane)
            products.batchedGemm(batch: heads, transA: true, m: len, n: dh, k: len, a: pd, lda: s, strideA: plane,
                                 b: dctx + rowBase, ldb: d, strideB: dh, c: dv + rowBase, ldc: d, strideC: dh)
            for h in 0 ..< heads {
                scoreGradient(grad + h * plane, p: p + h * plane, mask: mask.map { $0 + pBase + h * plane },
                              len: len, seqLen: s, keepScale: keepScale, alpha: alpha)
            }
            // S = Q Kᵀ: dQ = dS K, dK = dSᵀ Q
            products.batchedGemm(batch: heads, m: len, n: dh, k: len, a: grad, lda: s, strideA: plane,
                                 b: k + rowBase, ldb: d, strideB: dh, c: dq + rowBase, ldc: d, strideC: dh)
            products.batchedGemm(batch: heads, transA: true, m: len, n: dh, k: len, a: grad, lda: s, strideA: plane,
                                 b: q + rowBase, ldb: d, strideB: dh, c: dk + rowBase, ldc: d, strideC: dh)
        }
    }
}
