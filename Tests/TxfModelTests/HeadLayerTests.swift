import Foundation
import Testing
import TxfCore
@testable import TxfModel

@Suite struct EmbeddingsTests {
    @Test func backwardMatchesFiniteDifferences() {
        let batch = 2, seqLen = 3, dim = 4, vocab = 5, positions = 6, typeVocab = 2
        let key = RandomKey(seed: 31)
        let word = randomBuffer(vocab * dim, key: key.with(1)), pos = randomBuffer(positions * dim, key: key.with(2))
        let type = randomBuffer(typeVocab * dim, key: key.with(3))
        let tokens: [Int32] = [1, 3, 1, 4, 0, 0]     // row 1 has length 1; token 1 repeats in row 0
        let types: [Int32] = [0, 1, 1, 0, 0, 0]
        let lengths = [3, 1]
        // Objective weights zero on padded positions: they carry no gradient in the model.
        let c = randomBuffer(batch * seqLen * dim, key: key.with(4))
        for f in 0 ..< 2 * dim { c[(seqLen + 1) * dim + f] = 0 }
        let out = FloatBuffer(count: batch * seqLen * dim)
        let dWord = FloatBuffer(count: word.count), dPos = FloatBuffer(count: pos.count), dType = FloatBuffer(count: type.count)
        func objective() -> Double {
            Embeddings.forward(tokens: tokens, types: types, word: word.pointer, position: pos.pointer, type: type.pointer,
                               out: out.pointer, batch: batch, seqLen: seqLen, dim: dim)
            return weightedSum(out.pointer, c)
        }
        Embeddings.backward(de: c.pointer, tokens: tokens, types: types, lengths: lengths, dWord: dWord.pointer,
                            dPosition: dPos.pointer, dType: dType.pointer, batch: batch, seqLen: seqLen, dim: dim)
        checkGradient("dWord", values: word.pointer, analytic: dWord.pointer, indices: 0 ..< word.count, objective)
        checkGradient("dPosition", values: pos.pointer, analytic: dPos.pointer, indices: 0 ..< pos.count, objective)
        checkGradient("dType", values: type.pointer, analytic: dType.pointer, indices: 0 ..< type.count, objective)
    }
}

@Suite struct PoolerTests {
    /// Row 1 is shorter (2 of 3 tokens): mean pooling must leave its padded position out of
    /// both the summary and the gradient.
    @Test(arguments: Pooling.allCases)
    func backwardMatchesFiniteDifferences(pooling: Pooling) {
        let batch = 2, seqLen = 3, dim = 4
        let lengths = [3, 2]
        let key = RandomKey(seed: 41)
        let hidden = randomBuffer(batch * seqLen * dim, key: key.with(1))
        let w = randomBuffer(dim * dim, key: key.with(2)), b = randomBuffer(dim, key: key.with(3))
        let c = randomBuffer(batch * dim, key: key.with(4))
        let summary = FloatBuffer(count: batch * dim), pooled = FloatBuffer(count: batch * dim)
        func objective() -> Double {
            Pooler.forward(hidden: hidden.pointer, lengths: lengths, pooling: pooling, weight: w.pointer, bias: b.pointer,
                           summary: summary.pointer, pooled: pooled.pointer,
                           batch: batch, seqLen: seqLen, dim: dim, products: fp32Products)
            return weightedSum(pooled.pointer, c)
        }
        _ = objective()
        for i in 0 ..< pooled.count { #expect(abs(pooled[i]) < 1) }  // tanh range
        // The summary by hand: row 0 of each sequence, or the mean of its first `lengths` rows.
        for r in 0 ..< batch {
            for j in 0 ..< dim {
                let values = (pooling == .cls ? [0] : Array(0 ..< lengths[r])).map { hidden[(r * seqLen + $0) * dim + j] }
                #expect(abs(summary[r * dim + j] - values.reduce(0, +) / Float(values.count)) < 1e-6)
            }
        }
        let dpooled = FloatBuffer(count: batch * dim)
        dpooled.pointer.update(from: c.pointer, count: c.count)
        let dw = FloatBuffer(count: w.count), db = FloatBuffer(count: dim), dsummary = FloatBuffer(count: batch * dim)
        let dhidden = FloatBuffer(count: hidden.count)
        Pooler.backward(dpooled: dpooled.pointer, pooled: pooled.pointer, summary: summary.pointer,
                        lengths: lengths, pooling: pooling, weight: w.pointer,
                        dWeight: dw.pointer, dBias: db.pointer, dsummary: dsummary.pointer, dhidden: dhidden.pointer,
                        batch: batch, seqLen: seqLen, dim: dim, products: fp32Products)
        // Every hidden element: [CLS] pooling reaches position 0 only, mean pooling the real rows.
        checkGradient("dhidden", values: hidden.pointer, analytic: dhidden.pointer, indices: 0 ..< hidden.count, objective)
        checkGradient("dW", values: w.pointer, analytic: dw.pointer, indices: 0 ..< w.count, objective)
        checkGradient("db", values: b.pointer, analytic: db.pointer, indices: 0 ..< dim, objective)
        // The padded position of row 1 gets nothing.
        for j in 0 ..< dim { #expect(dhidden[(seqLen + 2) * dim + j] == 0) }
    }
}

@Suite struct CrossEntropyTests {
    @Test func lossMatchesHandComputedValue() {
        // logits [0, ln 3] with label 1: softmax [1/4, 3/4], loss −ln(3/4).
        let z = FloatBuffer(count: 2), p = FloatBuffer(count: 2), losses = FloatBuffer(count: 1)
        z[1] = Float(log(3.0))
        let total = CrossEntropy.forward(logits: z.pointer, labels: [1], probs: p.pointer, losses: losses.pointer,
                                         batch: 1, classes: 2)
        assertClose(total, -log(0.75), relativeTolerance: 1e-6, absoluteTolerance: 1e-7, "loss")
        assertClose(Double(p[0]), 0.25, relativeTolerance: 1e-6, absoluteTolerance: 1e-7, "p0")
    }

    @Test func backwardMatchesFiniteDifferences() {
        let batch = 3, classes = 4, scale: Float = 0.25
        let z = randomBuffer(batch * classes, key: RandomKey(seed: 51), scale: 3)
        let labels: [Int32] = [0, 3, 2]
        let p = FloatBuffer(count: z.count), losses = FloatBuffer(count: batch), dz = FloatBuffer(count: z.count)
        func objective() -> Double {
            Double(scale) * CrossEntropy.forward(logits: z.pointer, labels: labels, probs: p.pointer, losses: losses.pointer,
                                                 batch: batch, classes: classes)
        }
        _ = objective()
        CrossEntropy.backward(probs: p.pointer, labels: labels, dlogits: dz.pointer, scale: scale, batch: batch, classes: classes)
        checkGradient("dz", values: z.pointer, analytic: dz.pointer, indices: 0 ..< z.count, objective)
    }
}

@Suite struct DropoutTests {
    @Test func maskIsAPureFunctionOfKeyAndCounter() {
        let n = 20_000, p: Float = 0.1
        let x = randomBuffer(n, key: RandomKey(seed: 61), offset: 2)
        let y1 = FloatBuffer(count: n), y2 = FloatBuffer(count: n)
        let m1 = UnsafeMutablePointer<UInt8>.allocate(capacity: n), m2 = UnsafeMutablePointer<UInt8>.allocate(capacity: n)
        defer { m1.deallocate(); m2.deallocate() }
        let key = RandomKey(seed: 7).with(3)
        Dropout.forward(x: x.pointer, y: y1.pointer, mask: m1, count: n, p: p, key: key, counter: 0)
        // The second half alone, starting at its counter, draws the same mask.
        Dropout.forward(x: x.pointer + n / 2, y: y2.pointer + n / 2, mask: m2 + n / 2, count: n / 2, p: p, key: key,
                        counter: UInt64(n / 2))
        var kept = 0
        for i in 0 ..< n {
            if m1[i] != 0 { kept += 1; #expect(y1[i] == x[i] * (1 / (1 - p))) } else { #expect(y1[i] == 0) }
            if i >= n / 2 { #expect(m1[i] == m2[i] && y1[i] == y2[i]) }
        }
        // Kept fraction 0.9 ± 4σ (σ = √(0.09/n) ≈ 0.002).
        #expect(abs(Double(kept) / Double(n) - 0.9) < 0.009)
        // Another key gives another mask.
        Dropout.forward(x: x.pointer, y: y2.pointer, mask: m2, count: n, p: p, key: key.with(1), counter: 0)
        var differ = 0
        for i in 0 ..< n where m1[i] != m2[i] { differ += 1 }
        #expect(differ > n / 10)
    }

    @Test func oddStartsAndLengthsDrawTheSameMaskAsOneLongCall() {
        // Element i of a call draws counter `counter + i`, however the buffer is split into calls.
        let n = 1001, p: Float = 0.3
        let x = randomBuffer(n, key: RandomKey(seed: 64), offset: 2)
        let y = FloatBuffer(count: n), part = FloatBuffer(count: n)
        let mask = UnsafeMutablePointer<UInt8>.allocate(capacity: n), partMask = UnsafeMutablePointer<UInt8>.allocate(capacity: n)
        defer { mask.deallocate(); partMask.deallocate() }
        let key = RandomKey(seed: 8)
        Dropout.forward(x: x.pointer, y: y.pointer, mask: mask, count: n, p: p, key: key, counter: 7)
        for (start, end) in [(0, 1), (1, 2), (2, 333), (333, 334), (334, 1000), (1000, 1001)] {
            Dropout.forward(x: x.pointer + start, y: part.pointer + start, mask: partMask + start, count: end - start,
                            p: p, key: key, counter: UInt64(7 + start))
        }
        var kept = 0
        for i in 0 ..< n {
            #expect(mask[i] == partMask[i] && y[i] == part[i], "element \(i)")
            kept += Int(mask[i])
        }
        // Kept fraction 0.7 ± 4σ (σ ≈ 0.0145).
        #expect(abs(Double(kept) / Double(n) - 0.7) < 0.058)
    }

    @Test func backwardMatchesFiniteDifferences() {
        let n = 32, p: Float = 0.5
        let x = randomBuffer(n, key: RandomKey(seed: 62)), c = randomBuffer(n, key: RandomKey(seed: 63))
        let y = FloatBuffer(count: n), dx = FloatBuffer(count: n)
        let mask = UnsafeMutablePointer<UInt8>.allocate(capacity: n)
        defer { mask.deallocate() }
        let key = RandomKey(seed: 9)
        func objective() -> Double {
            Dropout.forward(x: x.pointer, y: y.pointer, mask: mask, count: n, p: p, key: key, counter: 5)
            return weightedSum(y.pointer, c)
        }
        _ = objective()
        Dropout.backward(dy: c.pointer, mask: mask, dx: dx.pointer, count: n, p: p)
        checkGradient("dx", values: x.pointer, analytic: dx.pointer, indices: 0 ..< n, objective)
    }
}
