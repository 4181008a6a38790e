import Testing
import TxfCore
@testable import TxfEval
@testable import TxfStore
@testable import TxfTrain

@Suite struct OptimizerTests {
    /// PyTorch's AdamW written out in Double, element by element.
    func reference(p: inout [Double], m: inout [Double], v: inout [Double], g: [Double],
                   t: Int, lr: Double, wd: Double, decays: Bool) {
        let b1 = 0.9, b2 = 0.999, eps = 1e-8
        for i in p.indices {
            if decays { p[i] *= 1 - lr * wd }
            m[i] = b1 * m[i] + (1 - b1) * g[i]
            v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
            let mHat = m[i] / (1 - pow(b1, Double(t)))
            let vHat = v[i] / (1 - pow(b2, Double(t)))
            p[i] -= lr * mHat / (vHat.squareRoot() + eps)
        }
    }

    // By hand: p = 1, g = 0.5, η = 0.1, λ = 0.1. m = 0.05, v = 0.00025, m̂ = 0.5, v̂ = 0.25,
    // so the Adam move is η · 0.5 / 0.5 = 0.1; decay multiplies by 1 − 0.01 first: 0.89.
    @Test func firstStepByHand() {
        let p = FloatBuffer(count: 2), g = FloatBuffer(count: 2), m = FloatBuffer(count: 2), v = FloatBuffer(count: 2)
        p[0] = 1; p[1] = 1; g[0] = 0.5; g[1] = 0.5
        let segments = [ParameterSegment(paramOffset: 0, gradientOffset: 0, count: 1, decays: true),
                        ParameterSegment(paramOffset: 1, gradientOffset: 1, count: 1, decays: false)]
        AdamW(weightDecay: 0.1).update(params: p.pointer, gradients: g.pointer, m: m.pointer, v: v.pointer,
                                       segments: segments, step: 0, learningRate: 0.1)
        assertClose(p.toArray(), [0.89, 0.9], relativeTolerance: 1e-6)
        assertClose(m.toArray(), [0.05, 0.05], relativeTolerance: 1e-6)
        assertClose(v.toArray(), [0.00025, 0.00025], relativeTolerance: 1e-6)
    }

    // Five steps on random values against the Double reference. Float keeps ~1e-7 relative per
    // operation; over five steps the parameters stay within a few 1e-6 of the reference.
    @Test func matchesReferenceOverSteps() {
        let n = 64
        let key = RandomKey(seed: 3)
        let p = FloatBuffer(count: n), g = FloatBuffer(count: n), m = FloatBuffer(count: n), v = FloatBuffer(count: n)
        for i in 0..<n { p[i] = key.normal(UInt64(i)) }
        var rp = p.toArray().map(Double.init), rm = [Double](repeating: 0, count: n), rv = rm
        // Decay on the first 40 elements only, as a weight followed by its bias would be.
        let segments = [ParameterSegment(paramOffset: 0, gradientOffset: 0, count: 40, decays: true),
                        ParameterSegment(paramOffset: 40, gradientOffset: 40, count: 24, decays: false)]
        for step in 0..<5 {
            for i in 0..<n { g[i] = key.with(UInt64(step + 1)).normal(UInt64(i)) }
            let grads = g.toArray().map(Double.init)
            AdamW(weightDecay: 0.05).update(params: p.pointer, gradients: g.pointer, m: m.pointer, v: v.pointer,
                                            segments: segments, step: step, learningRate: 0.01)
            var head = Array(rp[0..<40]), hm = Array(rm[0..<40]), hv = Array(rv[0..<40])
            var tail = Array(rp[40...]), tm = Array(rm[40...]), tv = Array(rv[40...])
            reference(p: &head, m: &hm, v: &hv, g: Array(grads[0..<40]), t: step + 1, lr: 0.01, wd: 0.05, decays: true)
            reference(p: &tail, m: &tm, v: &tv, g: Array(grads[40...]), t: step + 1, lr: 0.01, wd: 0.05, decays: false)
            rp = head + tail; rm = hm + tm; rv = hv + tv
        }
        assertClose(p.toArray(), rp, relativeTolerance: 1e-5, absoluteTolerance: 1e-6)
        assertClose(m.toArray(), rm, relativeTolerance: 1e-5, absoluteTolerance: 1e-7)
    }

    @Test func gradientScaleActsLikeScaledGradients() {
        let a = [FloatBuffer(count: 3), FloatBuffer(count: 3), FloatBuffer(count: 3), FloatBuffer(count: 3)]
        let b = [FloatBuffer(count: 3), FloatBuffer(count: 3), FloatBuffer(count: 3), FloatBuffer(count: 3)]
        for i in 0..<3 { a[1][i] = Float(i + 1); b[1][i] = Float(i + 1) * 0.25 }
        let seg = [ParameterSegment(paramOffset: 0, gradientOffset: 0, count: 3, decays: true)]
        AdamW(weightDecay: 0).update(params: a[0].pointer, gradients: a[1].pointer, m: a[2].pointer, v: a[3].pointer,
                                     segments: seg, step: 0, learningRate: 1, gradientScale: 0.25)
        AdamW(weightDecay: 0).update(params: b[0].pointer, gradients: b[1].pointer, m: b[2].pointer, v: b[3].pointer,
                                     segments: seg, step: 0, learningRate: 1)
        #expect(a[2].toArray() == b[2].toArray())
        #expect(a[0].toArray() == b[0].toArray())
    }

    // The 8-wide loop and the scalar tail do the same operations: one segment of 19 (two
    // vectors and a tail) equals 19 one-element segments (all tail), bit for bit.
    @Test func vectorAndScalarPathsAgreeBitwise() {
        let n = 19
        let key = RandomKey(seed: 21)
        func buffers() -> [FloatBuffer] {
            let b = (0..<4).map { _ in FloatBuffer(count: n) }
            for i in 0..<n { b[0][i] = key.normal(UInt64(i)); b[1][i] = key.with(1).normal(UInt64(i)) }
            return b
        }
        let a = buffers(), b = buffers()
        let whole = [ParameterSegment(paramOffset: 0, gradientOffset: 0, count: n, decays: true)]
        let single = (0..<n).map { ParameterSegment(paramOffset: $0, gradientOffset: $0, count: 1, decays: true) }
        for step in 0..<3 {
            AdamW(weightDecay: 0.1).update(params: a[0].pointer, gradients: a[1].pointer, m: a[2].pointer, v: a[3].pointer,
                                           segments: whole, step: step, learningRate: 0.01, gradientScale: 0.7)
            AdamW(weightDecay: 0.1).update(params: b[0].pointer, gradients: b[1].pointer, m: b[2].pointer, v: b[3].pointer,
                                           segments: single, step: step, learningRate: 0.01, gradientScale: 0.7)
        }
        #expect(a[0].toArray() == b[0].toArray() && a[3].toArray() == b[3].toArray())
    }

    @Test func segmentsCoalesceOnlyWhenContiguousWithTheSameRule() {
        let s = [ParameterSegment(paramOffset: 0, gradientOffset: 0, count: 4, decays: true),
                 ParameterSegment(paramOffset: 4, gradientOffset: 4, count: 2, decays: true),
                 ParameterSegment(paramOffset: 6, gradientOffset: 6, count: 2, decays: false),
                 ParameterSegment(paramOffset: 9, gradientOffset: 8, count: 1, decays: false)]
        #expect(ParameterSegment.coalesced(s) == [
            ParameterSegment(paramOffset: 0, gradientOffset: 0, count: 6, decays: true),
            ParameterSegment(paramOffset: 6, gradientOffset: 6, count: 2, decays: false),
            ParameterSegment(paramOffset: 9, gradientOffset: 8, count: 1, decays: false)])
    }

    // ‖(3, 4, 0, 12)‖ = 13; max norm 6.5 halves (up to the 1e-6 guard), above-threshold keeps 1.
    @Test func globalNormAndClipScale() {
        let g: [Float] = [3, 4, 0, 12, 0]
        let norm = g.withUnsafeBufferPointer { GradientClipping.sumOfSquares($0.baseAddress!, count: $0.count).squareRoot() }
        #expect(norm == 13)
        assertClose(GradientClipping.scale(norm: 13, maxNorm: 6.5), 0.5, relativeTolerance: 1e-6)
        #expect(GradientClipping.scale(norm: 13, maxNorm: 20) == 1)
        #expect(GradientClipping.scale(norm: 13, maxNorm: 0) == 1)
    }
}

#if canImport(Glibc)
import Glibc
#endif
