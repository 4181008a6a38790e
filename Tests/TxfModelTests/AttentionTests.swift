import Testing
import TxfCore
@testable import TxfModel

/// Small attention problem: 2 sequences of padded length 4 (real lengths 4 and 2), 2 heads of 3.
private struct AttentionCase {
    let batch = 2, seqLen = 4, heads = 2, headSize = 3, positions = 8
    var dim: Int { heads * headSize }
    var tokens: Int { batch * seqLen }
    let lengths: UnsafeMutablePointer<Int>
    let q, k, v, c, ctx, probs, scratch: FloatBuffer
    let mask: UnsafeMutablePointer<UInt8>
    let keys: UnsafeMutablePointer<RandomKey>
    let dropoutP: Float

    init(dropoutP: Float) {
        self.dropoutP = dropoutP
        let key = RandomKey(seed: 21)
        lengths = .allocate(capacity: 2)
        lengths[0] = 4; lengths[1] = 2
        let n = 2 * 4 * 6
        q = randomBuffer(n, key: key.with(1)); k = randomBuffer(n, key: key.with(2)); v = randomBuffer(n, key: key.with(3))
        c = randomBuffer(n, key: key.with(4))
        ctx = FloatBuffer(count: n); probs = FloatBuffer(count: 2 * 2 * 4 * 4); scratch = FloatBuffer(count: 16)
        mask = .allocate(capacity: 2 * 2 * 4 * 4)
        keys = .allocate(capacity: 2)
        keys[0] = key.with(5); keys[1] = key.with(6)
    }

    func forward() -> Double {
        Attention.forward(q: q.pointer, k: k.pointer, v: v.pointer, ctx: ctx.pointer, probs: probs.pointer,
                          mask: mask, keys: dropoutP > 0 ? UnsafePointer(keys) : nil, dropoutP: dropoutP,
                          positionStride: positions, scratch: scratch.pointer, lengths: lengths,
                          batch: batch, seqLen: seqLen, heads: heads, headSize: headSize, products: fp32Products)
        return weightedSum(ctx.pointer, c)
    }

    func release() { lengths.deallocate(); mask.deallocate(); keys.deallocate() }
}

@Suite struct AttentionTests {
    @Test func uniformAttentionAveragesRealValuesOnly() {
        // q = 0 makes every score equal: each real query's context is the mean of the real v rows.
        let a = AttentionCase(dropoutP: 0)
        defer { a.release() }
        a.q.zero()
        _ = a.forward()
        for b in 0 ..< a.batch {
            let len = a.lengths[b]
            for t in 0 ..< a.seqLen {
                for f in 0 ..< a.dim {
                    var mean = 0.0
                    for j in 0 ..< len { mean += Double(a.v[(b * a.seqLen + j) * a.dim + f]) / Double(len) }
                    let got = Double(a.ctx[(b * a.seqLen + t) * a.dim + f])
                    // Padded query rows are defined as zero.
                    assertClose(got, t < len ? mean : 0, relativeTolerance: 1e-5, absoluteTolerance: 1e-6, "ctx[\(b),\(t),\(f)]")
                }
            }
        }
    }

    @Test(arguments: [Float(0), 0.3])
    func backwardMatchesFiniteDifferences(dropoutP: Float) {
        let a = AttentionCase(dropoutP: dropoutP)
        defer { a.release() }
        _ = a.forward()
        let n = a.tokens * a.dim
        let dq = FloatBuffer(count: n), dk = FloatBuffer(count: n), dv = FloatBuffer(count: n)
        let sa = FloatBuffer(count: 16), sb = FloatBuffer(count: 16)
        Attention.backward(dctx: a.c.pointer, q: a.q.pointer, k: a.k.pointer, v: a.v.pointer, probs: a.probs.pointer,
                           mask: dropoutP > 0 ? UnsafePointer(a.mask) : nil, dropoutP: dropoutP,
                           dq: dq.pointer, dk: dk.pointer, dv: dv.pointer, scratchA: sa.pointer, scratchB: sb.pointer,
                           lengths: a.lengths, batch: a.batch, seqLen: a.seqLen, heads: a.heads, headSize: a.headSize, products: fp32Products)
        // Every element, padded ones included: their numeric gradient is 0 (padded keys and
        // values are never attended to) and backward must write 0 there.
        checkGradient("dq", values: a.q.pointer, analytic: dq.pointer, indices: 0 ..< n, a.forward)
        checkGradient("dk", values: a.k.pointer, analytic: dk.pointer, indices: 0 ..< n, a.forward)
        checkGradient("dv", values: a.v.pointer, analytic: dv.pointer, indices: 0 ..< n, a.forward)
        for t in 2 ..< 4 {
            for f in 0 ..< a.dim {
                let i = (a.seqLen + t) * a.dim + f
                #expect(dq[i] == 0 && dk[i] == 0 && dv[i] == 0, "padded position \(t) of sequence 1")
            }
        }
        if dropoutP > 0 {
            // Some attention probabilities were dropped (else this case tests nothing).
            var dropped = 0
            for b in 0 ..< 2 { for h in 0 ..< 2 { for i in 0 ..< a.lengths[b] { for j in 0 ..< a.lengths[b]
                where a.mask[((b * 2 + h) * 4 + i) * 4 + j] == 0 { dropped += 1 } } } }
            #expect(dropped > 0)
        }
    }
}
