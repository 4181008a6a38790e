import Testing
import TxfCore
import TxfMatmul

@Suite("prepared weights in oneDNN's layout (f32)")
struct PreparedWeightTests {
    /// Forward y = x·Wᵀ and input gradient dX = dY·W from copies of one [out, in] master, for
    /// the m the layout was chosen for and another; refreshing picks up a changed master.
    @Test func forwardAndInputGradientAgainstOpenBLAS() throws {
        let engine = try DNNLMatmul()
        let out = 384, inFeatures = 1536, tokens = 416
        var random = TestRandom(seed: 5)
        var w = random.array(out * inFeatures)  // [out, in]
        let forward = try engine.prepareWeight(outFeatures: out, inFeatures: inFeatures, use: .forward, dataType: .f32, tokens: tokens)
        let backward = try engine.prepareWeight(outFeatures: out, inFeatures: inFeatures, use: .inputGradient, dataType: .f32, tokens: tokens)
        for round in 0..<2 {
            try engine.refresh(forward, from: w)
            try engine.refresh(backward, from: w)
            for m in [tokens, 300] {
                let x = random.array(m * inFeatures)   // [m, in]
                let dy = random.array(m * out)         // [m, out]
                var y = random.array(m * out), expectedY = y               // [m, out]
                var dx = random.array(m * inFeatures), expectedDX = dx     // [m, in]
                try engine.gemm(m: m, a: x, weight: forward, beta: 1, c: &y)
                gemm(transB: true, m: m, n: out, k: inFeatures, a: x, b: w, beta: 1, c: &expectedY)
                try engine.gemm(m: m, alpha: 0.5, a: dy, weight: backward, c: &dx)
                gemm(m: m, n: inFeatures, k: out, alpha: 0.5, a: dy, b: w, c: &expectedDX)
                var tolerance = fp32Tolerance(k: inFeatures)
                assertClose(y, expectedY, relativeTolerance: tolerance.relative, absoluteTolerance: tolerance.absolute,
                            "forward, m \(m), round \(round), \(forward.implementation)")
                tolerance = fp32Tolerance(k: out)
                assertClose(dx, expectedDX, relativeTolerance: tolerance.relative, absoluteTolerance: tolerance.absolute,
                            "input gradient, m \(m), round \(round), \(backward.implementation)")
            }
            w = w.map { $0 * -0.5 + 0.25 }  // an optimizer step
        }
        // One primitive per (use, m); none re-created in the second round.
        #expect(engine.primitiveCount == 4)
    }

    /// A master with a leading dimension wider than its rows (a weight inside a bigger buffer).
    @Test func paddedMaster() throws {
        let engine = try DNNLMatmul()
        let out = 24, inFeatures = 40, ld = 50, m = 7
        var random = TestRandom(seed: 9)
        let w = random.array(out * ld), x = random.array(m * inFeatures)  // [out, ld], [m, in]
        let weight = try engine.prepareWeight(outFeatures: out, inFeatures: inFeatures, use: .forward, dataType: .f32,
                                              tokens: m, masterLeadingDimension: ld)
        try engine.refresh(weight, from: w)
        var y = [Float](repeating: 0, count: m * out), expected = y
        try engine.gemm(m: m, a: x, weight: weight, c: &y)
        gemm(transB: true, m: m, n: out, k: inFeatures, a: x, b: w, ldb: ld, c: &expected)
        let tolerance = fp32Tolerance(k: inFeatures)
        assertClose(y, expected, relativeTolerance: tolerance.relative, absoluteTolerance: tolerance.absolute)
    }

    @Test func misuseIsAnError() throws {
        let engine = try DNNLMatmul(), other = try DNNLMatmul()
        let weight = try engine.prepareWeight(outFeatures: 4, inFeatures: 4, use: .forward, dataType: .f32, tokens: 4)
        let x = [Float](repeating: 1, count: 16)
        var y = [Float](repeating: 0, count: 16)
        #expect(throws: TxfError.self) { try other.gemm(m: 4, a: x, weight: weight, c: &y) }
        #expect(throws: TxfError.self) { try other.refresh(weight, from: x) }
        #expect(throws: TxfError.self) { try engine.gemm(m: 4, a: x.map(BFloat16.init), weight: weight, c: &y) }
    }
}

@Suite("oneDNN benchmark")
struct DNNLMatmulBenchmarkTests {
    @Test func measuresEveryShape() throws {
        let shapes = [SgemmBenchmark.Shape(m: 64, k: 32, n: 64, transB: true), SgemmBenchmark.Shape(m: 33, k: 17, n: 9, transA: true)]
        let report = try DNNLMatmulBenchmark.run(shapes: shapes, dataType: .f32, threads: 1, secondsPerShape: 0.01)
        #expect(report.results.map(\.shape) == shapes)
        #expect(report.results.allSatisfy { $0.gflops > 0 && $0.samples >= 3 })
        #expect(report.kernels.hasPrefix("oneDNN "))
    }
}
