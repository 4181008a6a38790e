import Testing
import TxfCore
@testable import TxfModel

@Suite struct LinearTests {
    @Test func forwardMatchesHandComputedProduct() {
        // x = [[1, 2]], W = [[1, 0], [0, 1], [1, 1]] ([out 3, in 2]), b = [0.5, -1, 0]
        let x = FloatBuffer(count: 2), w = FloatBuffer(count: 6), b = FloatBuffer(count: 3), y = FloatBuffer(count: 3)
        for (i, v) in [Float(1), 2].enumerated() { x[i] = v }
        for (i, v) in [Float(1), 0, 0, 1, 1, 1].enumerated() { w[i] = v }
        for (i, v) in [Float(0.5), -1, 0].enumerated() { b[i] = v }
        Linear.forward(x: x.pointer, weight: w.pointer, bias: b.pointer, y: y.pointer, tokens: 1, inFeatures: 2, outFeatures: 3, products: fp32Products)
        #expect(y.toArray() == [1.5, 1, 3])
    }

    @Test func backwardMatchesFiniteDifferences() {
        let t = 3, n = 4, m = 5
        let key = RandomKey(seed: 11)
        let x = randomBuffer(t * n, key: key.with(1)), w = randomBuffer(m * n, key: key.with(2))
        let b = randomBuffer(m, key: key.with(3)), c = randomBuffer(t * m, key: key.with(4))
        let y = FloatBuffer(count: t * m)
        func objective() -> Double {
            Linear.forward(x: x.pointer, weight: w.pointer, bias: b.pointer, y: y.pointer, tokens: t, inFeatures: n, outFeatures: m, products: fp32Products)
            return weightedSum(y.pointer, c)
        }
        // Gradients accumulate: start them at 1 and subtract it afterwards.
        let dx = FloatBuffer(count: t * n), dw = FloatBuffer(count: m * n), db = FloatBuffer(count: m)
        for i in 0 ..< dw.count { dw[i] = 1 }
        for i in 0 ..< db.count { db[i] = 1 }
        Linear.backward(dy: c.pointer, x: x.pointer, weight: w.pointer, dx: dx.pointer, dWeight: dw.pointer, dBias: db.pointer,
                        tokens: t, inFeatures: n, outFeatures: m, products: fp32Products)
        for i in 0 ..< dw.count { dw[i] -= 1 }
        for i in 0 ..< db.count { db[i] -= 1 }
        checkGradient("dx", values: x.pointer, analytic: dx.pointer, indices: 0 ..< x.count, objective)
        checkGradient("dW", values: w.pointer, analytic: dw.pointer, indices: 0 ..< w.count, objective)
        checkGradient("db", values: b.pointer, analytic: db.pointer, indices: 0 ..< b.count, objective)

        // accumulateInput adds dy·W onto what dx holds.
        let dx2 = FloatBuffer(count: t * n)
        for i in 0 ..< dx2.count { dx2[i] = 2 }
        Linear.backward(dy: c.pointer, x: x.pointer, weight: w.pointer, dx: dx2.pointer, accumulateInput: true,
                        dWeight: nil, dBias: nil, tokens: t, inFeatures: n, outFeatures: m, products: fp32Products)
        for i in 0 ..< dx.count {
            assertClose(Double(dx2[i]), Double(dx[i]) + 2, relativeTolerance: 1e-6, absoluteTolerance: 1e-6, "accumulated dx[\(i)]")
        }
    }
}

@Suite struct LayerNormTests {
    @Test func forwardNormalisesEachRow() {
        let x = FloatBuffer(count: 4), g = FloatBuffer(count: 4), b = FloatBuffer(count: 4), y = FloatBuffer(count: 4)
        let mean = FloatBuffer(count: 1), rstd = FloatBuffer(count: 1)
        for (i, v) in [Float(1), 2, 3, 4].enumerated() { x[i] = v; g[i] = 1 }
        b[0] = 10
        LayerNorm.forward(x: x.pointer, gamma: g.pointer, beta: b.pointer, y: y.pointer, mean: mean.pointer, rstd: rstd.pointer,
                          rows: 1, dim: 4, eps: 0)
        // mean 2.5, biased variance 1.25: y = (x − 2.5)/√1.25 (+10 on the first feature)
        let s = 1 / 1.25.squareRoot()
        for (i, expected) in [-1.5 * s + 10, -0.5 * s, 0.5 * s, 1.5 * s].enumerated() {
            assertClose(Double(y[i]), expected, relativeTolerance: 1e-6, absoluteTolerance: 1e-6, "y[\(i)]")
        }
        #expect(mean[0] == 2.5)
    }

    @Test func backwardMatchesFiniteDifferences() {
        let rows = 3, dim = 6
        let key = RandomKey(seed: 12)
        let x = randomBuffer(rows * dim, key: key.with(1), scale: 2)
        let g = randomBuffer(dim, key: key.with(2), scale: 0.5, offset: 1), b = randomBuffer(dim, key: key.with(3))
        let c = randomBuffer(rows * dim, key: key.with(4))
        let y = FloatBuffer(count: rows * dim), mean = FloatBuffer(count: rows), rstd = FloatBuffer(count: rows)
        func objective() -> Double {
            LayerNorm.forward(x: x.pointer, gamma: g.pointer, beta: b.pointer, y: y.pointer, mean: mean.pointer,
                              rstd: rstd.pointer, rows: rows, dim: dim, eps: 1e-5)
            return weightedSum(y.pointer, c)
        }
        _ = objective()
        let dx = FloatBuffer(count: rows * dim), dg = FloatBuffer(count: dim), db = FloatBuffer(count: dim)
        LayerNorm.backward(dy: c.pointer, x: x.pointer, gamma: g.pointer, mean: mean.pointer, rstd: rstd.pointer,
                           dx: dx.pointer, dGamma: dg.pointer, dBeta: db.pointer, rows: rows, dim: dim)
        checkGradient("dx", values: x.pointer, analytic: dx.pointer, indices: 0 ..< x.count, objective)
        checkGradient("dγ", values: g.pointer, analytic: dg.pointer, indices: 0 ..< dim, objective)
        checkGradient("dβ", values: b.pointer, analytic: db.pointer, indices: 0 ..< dim, objective)

        // In place (dx aliasing dy) gives the same result.
        let inPlace = FloatBuffer(count: rows * dim)
        inPlace.pointer.update(from: c.pointer, count: c.count)
        LayerNorm.backward(dy: inPlace.pointer, x: x.pointer, gamma: g.pointer, mean: mean.pointer, rstd: rstd.pointer,
                           dx: inPlace.pointer, dGamma: nil, dBeta: nil, rows: rows, dim: dim)
        #expect(inPlace.toArray() == dx.toArray())
    }
}

@Suite struct GELUTests {
    @Test func forwardMatchesErfFormula() {
        // Exact GELU: x·Φ(x); Φ(1) = 0.8413447460685429, Φ(−2) = 0.022750131948179195.
        let x = FloatBuffer(count: 4), y = FloatBuffer(count: 4)
        for (i, v) in [Float(0), 1, -1, -2].enumerated() { x[i] = v }
        GELU.forward(x: x.pointer, y: y.pointer, count: 4)
        for (i, expected) in [0, 0.8413447460685429, -0.15865525393145707, -0.04550026389635839].enumerated() {
            assertClose(Double(y[i]), expected, relativeTolerance: 1e-6, absoluteTolerance: 1e-7, "gelu(\(x[i]))")
        }
    }

    @Test func backwardMatchesFiniteDifferences() {
        let n = 16
        let x = randomBuffer(n, key: RandomKey(seed: 13), scale: 3), c = randomBuffer(n, key: RandomKey(seed: 14))
        let y = FloatBuffer(count: n), dx = FloatBuffer(count: n)
        GELU.backward(dy: c.pointer, x: x.pointer, dx: dx.pointer, count: n)
        checkGradient("dx", values: x.pointer, analytic: dx.pointer, indices: 0 ..< n) {
            GELU.forward(x: x.pointer, y: y.pointer, count: n)
            return weightedSum(y.pointer, c)
        }
    }
}
