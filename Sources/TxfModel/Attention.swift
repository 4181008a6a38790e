import Foundation
import TxfCore

/// Multi-head scaled dot-product self-attention with a padding mask, per sequence and head.
///
/// For sequence b with `len = lengths[b]` real tokens and head h (columns h·dh ..< (h+1)·dh of
/// the [tokens, D] projections):
///
///     P  = softmax(Q_bh K_bhᵀ / √dh)        [len, len]   (row-wise)
///     Pd = dropout(P)                       [len, len]
///     C_bh = Pd V_bh                        [len, dh]
///
/// Padding: only the first `len` keys exist, so padded keys get probability exactly 0 (they
/// are left out rather than set to −∞). Padded *query* rows are not computed at all: their
/// context rows are zero. They never influence a real position (attention mixes only across
/// keys, which are all real), and the loss reads only position 0, so their values are
/// irrelevant; backward writes zero gradient there.
public enum Attention {
    /// q, k, v: [batch·seqLen, D] (D = heads·headSize) -> ctx: [batch·seqLen, D] (overwritten);
    /// probs: [batch, heads, seqLen, seqLen] saves P (rows/cols < len valid) for backward;
    /// mask: same shape, receives the dropout keep bytes when `keys` is given;
    /// keys: [batch] this site's dropout key per sample, or nil for no dropout;
    /// scratch: [seqLen·seqLen]; lengths: [batch], each in 1...seqLen.
    /// Dropout counters are `(h · positionStride + query) · positionStride + key`.
    /// Products run on `products`, per head, or for all heads of a sequence at once where the
    /// engine batches them (`forwardBatched`).
    public static func forward(
        q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
        ctx: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>,
        mask: UnsafeMutablePointer<UInt8>?, keys: UnsafePointer<RandomKey>?, dropoutP: Float,
        positionStride: Int, scratch: UnsafeMutablePointer<Float>,
        lengths: UnsafePointer<Int>, batch: Int, seqLen: Int, heads: Int, headSize: Int,
        products: MatrixProducts
    ) {
        if products.batchesHeads {
            forwardBatched(q: q, k: k, v: v, ctx: ctx, probs: probs, mask: mask, keys: keys, dropoutP: dropoutP,
                           positionStride: positionStride, lengths: lengths, batch: batch, seqLen: seqLen,
                           heads: heads, headSize: headSize, products: products)
            return
        }
        let d = heads * headSize, s = seqLen
        let alpha = 1 / Float(headSize).squareRoot()
        for b in 0 ..< batch {
            let len = lengths[b]
            let rowBase = b * s * d
            (ctx + rowBase + len * d).update(repeating: 0, count: (s - len) * d)
            for h in 0 ..< heads {
                let qh = q + rowBase + h * headSize, kh = k + rowBase + h * headSize
                let vh = v + rowBase + h * headSize
                let pBase = (b * heads + h) * s * s
                let p = probs + pBase
                // S = Q Kᵀ / √dh
                products.gemm(transB: true, m: len, n: len, k: headSize, alpha: alpha,
                              a: qh, lda: d, b: kh, ldb: d, c: p, ldc: s)
                let pd = headProbabilities(p, len: len, seqLen: s, head: h, mask: mask.map { $0 + pBase },
                                           key: keys?[b], dropoutP: dropoutP, positionStride: positionStride,
                                           dropped: scratch)
                // C = Pd V
                products.gemm(m: len, n: headSize, k: len, a: pd, lda: s, b: vh, ldb: d,
                              c: ctx + rowBase + h * headSize, ldc: d)
            }
        }
    }

    /// One head's probabilities from its scores p: [len, len] (leading dimension seqLen):
    ///
    ///     P  = softmax(S) over the len real keys   (in place)
    ///     Pd = dropout(P)                          (into `dropped`, when key and mask are given)
    ///
    /// mask: this head's [seqLen, seqLen] keep bytes; returns Pd (p itself without dropout).
    @inline(__always)
    static func headProbabilities(
        _ p: UnsafeMutablePointer<Float>, len: Int, seqLen s: Int, head h: Int,
        mask: UnsafeMutablePointer<UInt8>?, key: RandomKey?, dropoutP: Float, positionStride: Int,
        dropped: UnsafeMutablePointer<Float>
    ) -> UnsafePointer<Float> {
        for i in 0 ..< len { softmaxRow(p + i * s, count: len) }
        guard let key, let mask else { return UnsafePointer(p) }
        for i in 0 ..< len {
            let counter = UInt64((h * positionStride + i) * positionStride)
            Dropout.forward(x: p + i * s, y: dropped + i * s, mask: mask + i * s,
                            count: len, p: dropoutP, key: key, counter: counter)
        }
        return UnsafePointer(dropped)
    }

    /// In-place numerically stable softmax of one row: eight lanes of `VectorMath.exp` at a time
    /// (the last partial group through a padded vector, so every element gets the same exp).
    @inline(__always)
    static func softmaxRow(_ row: UnsafeMutablePointer<Float>, count: Int) {
        var m = -Float.infinity
        for j in 0 ..< count { m = max(m, row[j]) }
        var sum: Float = 0
        var j = 0
        while j + 8 <= count {
            let e = VectorMath.exp(row.load8(j) - m)
            row.store8(e, j)
            sum += VectorMath.sum(e)
            j += 8
        }
        if j < count {
            var v = Float8(), n = count - j  // unused lanes: exp(0), never read
            for i in 0 ..< n { v[i] = row[j + i] - m }
            v = VectorMath.exp(v)
            for i in 0 ..< n { row[j + i] = v[i]; sum += v[i] }
        }
        let inv = 1 / sum
        for j in 0 ..< count { row[j] *= inv }
    }

    /// Differentiates, in reverse order, per sequence b and head h:
    ///
    ///     C = Pd V        ->  dPd = dC Vᵀ,  dV = Pdᵀ dC
    ///     Pd = dropout(P) ->  dP = dPd · keep / (1 − p)
    ///     P = softmax(S)  ->  dS = P ∘ (dP − rowsum(dP ∘ P))
    ///     S = Q Kᵀ / √dh  ->  dQ = dS K / √dh,  dK = dSᵀ Q / √dh
    ///
    /// dctx, q, k, v: [batch·seqLen, D]; probs, mask: from forward; dq, dk, dv: [batch·seqLen, D]
    /// (overwritten; padded rows zero); scratchA, scratchB: [seqLen·seqLen] (the per-head
    /// path's; `backwardBatched` takes its [heads, seqLen, seqLen] scratch from `products`).
    public static func backward(
        dctx: UnsafePointer<Float>, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
        probs: UnsafePointer<Float>, mask: UnsafePointer<UInt8>?, dropoutP: Float,
        dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>,
        scratchA: UnsafeMutablePointer<Float>, scratchB: UnsafeMutablePointer<Float>,
        lengths: UnsafePointer<Int>, batch: Int, seqLen: Int, heads: Int, headSize: Int,
        products: MatrixProducts
    ) {
        if products.batchesHeads {
            backwardBatched(dctx: dctx, q: q, k: k, v: v, probs: probs, mask: mask, dropoutP: dropoutP,
                            dq: dq, dk: dk, dv: dv, lengths: lengths, batch: batch, seqLen: seqLen,
                            heads: heads, headSize: headSize, products: products)
            return
        }
        let d = heads * headSize, s = seqLen
        let alpha = 1 / Float(headSize).squareRoot()
        let keepScale = 1 / (1 - dropoutP)
        for b in 0 ..< batch {
            let len = lengths[b]
            let rowBase = b * s * d
            let padded = (s - len) * d
            (dq + rowBase + len * d).update(repeating: 0, count: padded)
            (dk + rowBase + len * d).update(repeating: 0, count: padded)
            (dv + rowBase + len * d).update(repeating: 0, count: padded)
            for h in 0 ..< heads {
                let off = rowBase + h * headSize
                let pBase = (b * heads + h) * s * s
                let p = probs + pBase
                let m = mask.map { $0 + pBase }
                let pd = m.map { droppedProbabilities(p, mask: $0, len: len, seqLen: s, keepScale: keepScale, into: scratchA) } ?? p
                // C = Pd V
                products.gemm(transB: true, m: len, n: len, k: headSize, a: dctx + off, lda: d, b: v + off, ldb: d,
                              c: scratchB, ldc: s)
                products.gemm(transA: true, m: len, n: headSize, k: len, a: pd, lda: s, b: dctx + off, ldb: d,
                              c: dv + off, ldc: d)
                scoreGradient(scratchB, p: p, mask: m, len: len, seqLen: s, keepScale: keepScale, alpha: alpha)
                // S = Q Kᵀ
                products.gemm(m: len, n: headSize, k: len, a: scratchB, lda: s, b: k + off, ldb: d, c: dq + off, ldc: d)
                products.gemm(transA: true, m: len, n: headSize, k: len, a: scratchB, lda: s, b: q + off, ldb: d,
                              c: dk + off, ldc: d)
            }
        }
    }

    /// Rebuilds one head's Pd = dropout(P) from the saved keep bytes: p, mask: [len, len]
    /// (leading dimension seqLen) -> into (same layout); returns `into`.
    @inline(__always)
    static func droppedProbabilities(
        _ p: UnsafePointer<Float>, mask m: UnsafePointer<UInt8>, len: Int, seqLen s: Int, keepScale: Float,
        into dropped: UnsafeMutablePointer<Float>
    ) -> UnsafePointer<Float> {
        for i in 0 ..< len {
            for j in 0 ..< len { dropped[i * s + j] = m[i * s + j] != 0 ? p[i * s + j] * keepScale : 0 }
        }
        return UnsafePointer(dropped)
    }

    /// One head's dS from dPd, in place in `grad` ([len, len], leading dimension seqLen):
    ///
    ///     Pd = dropout(P) ->  dP = dPd · keep / (1 − p)     (when mask is given)
    ///     P = softmax(S)  ->  dS = P ∘ (dP − rowsum(dP ∘ P)), with the 1/√dh of S folded in
    @inline(__always)
    static func scoreGradient(
        _ grad: UnsafeMutablePointer<Float>, p: UnsafePointer<Float>, mask: UnsafePointer<UInt8>?,
        len: Int, seqLen s: Int, keepScale: Float, alpha: Float
    ) {
        for i in 0 ..< len {
            let dRow = grad + i * s, pRow = p + i * s
            // Pd = dropout(P)
            if let mask {
                let mRow = mask + i * s
                for j in 0 ..< len { dRow[j] = mRow[j] != 0 ? dRow[j] * keepScale : 0 }
            }
            // P = softmax(S), with the 1/√dh of S folded in
            var dot: Float = 0
            for j in 0 ..< len { dot += dRow[j] * pRow[j] }
            for j in 0 ..< len { dRow[j] = alpha * pRow[j] * (dRow[j] - dot) }
        }
    }
}
