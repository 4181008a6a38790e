import Testing
import TxfCore
import TxfMatmul

/// C in Double from the stored operands rounded to bf16 (the exact product of what bf16 sees).
func doubleProductOfRounded(_ p: Problem, alpha: Float, beta: Float) -> [Double] {
    var expected = p.c.map(Double.init)
    for i in 0..<p.m {
        for j in 0..<p.n {
            var sum = 0.0
            for q in 0..<p.k {
                let aiq = p.transA ? p.a[q * p.lda + i] : p.a[i * p.lda + q]
                let bqj = p.transB ? p.b[j * p.ldb + q] : p.b[q * p.ldb + j]
                sum += Double(aiq.roundedToBFloat16) * Double(bqj.roundedToBFloat16)
            }
            expected[i * p.ldc + j] = Double(alpha) * sum + Double(beta) * Double(p.c[i * p.ldc + j])
        }
    }
    return expected
}

/// Whether this CPU and oneDNN multiply bf16 natively (the engine tests need it).
let nativeBF16 = CPUFeatures.current().bf16Hardware != nil && BF16EngineSupport.probe().isNative
let noNativeBF16Message: Comment = "this CPU has no native bf16 matmul (no AVX512-BF16 or AMX-BF16, or oneDNN does not use it)"

@Suite("bf16 products: the reference path, and the oneDNN engine where bf16 is native")
struct BF16ProductTests {
    /// The reference is exactly fp32 sgemm of the rounded inputs, so against a Double product
    /// of the rounded inputs only fp32 summation error remains (see `fp32Tolerance`).
    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func referenceAgainstDoubleOfRoundedInputs(transA: Bool, transB: Bool) {
        for (m, n, k) in [(5, 7, 3), (67, 45, 53), (33, 64, 130)] {
            var p = Problem(transA: transA, transB: transB, m: m, n: n, k: k, padding: 2, seed: UInt64(3 * m + k))
            p.a = p.a.map { $0 * 3.7 }  // off the bf16 grid, so rounding matters
            let expected = doubleProductOfRounded(p, alpha: 0.75, beta: -0.5)
            var c = p.c
            referenceBF16Gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.75, a: p.a, lda: p.lda,
                              b: p.b, ldb: p.ldb, beta: -0.5, c: &c, ldc: p.ldc)
            let tolerance = fp32Tolerance(k: k)
            assertClose(c, expected, relativeTolerance: tolerance.relative, absoluteTolerance: 4 * tolerance.absolute,
                        "\(m)×\(k)×\(n)")
            // And rounding is really applied: the unrounded fp32 product differs.
            #expect(c != p.openBLAS(alpha: 0.75, beta: -0.5))
        }
    }

    /// The engine's bf16 path against the reference: the same rounded inputs, fp32
    /// accumulation in another order, so the fp32 tolerance applies.
    @Test(.enabled(if: nativeBF16, noNativeBF16Message), arguments: [(false, true), (false, false), (true, false)])
    func engineAgainstReference(transA: Bool, transB: Bool) throws {
        let engine = try DNNLMatmul()
        for (m, n, k) in [(416, 384, 1536), (67, 45, 53)] {
            let p = Problem(transA: transA, transB: transB, m: m, n: n, k: k, padding: 1, seed: UInt64(m + k))
            var expected = p.c
            referenceBF16Gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.5, a: p.a, lda: p.lda,
                              b: p.b, ldb: p.ldb, beta: 1, c: &expected, ldc: p.ldc)
            let a = p.a.map(BFloat16.init), b = p.b.map(BFloat16.init)
            var c = p.c
            try engine.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.5, a: a, lda: p.lda,
                            b: b, ldb: p.ldb, beta: 1, c: &c, ldc: p.ldc)
            let tolerance = fp32Tolerance(k: k)
            assertClose(c, expected, relativeTolerance: tolerance.relative, absoluteTolerance: tolerance.absolute,
                        "\(m)×\(k)×\(n), \(engine.implementations)")
        }
    }

    /// A bf16 weight prepared in oneDNN's layout gives the reference product too.
    @Test(.enabled(if: nativeBF16, noNativeBF16Message))
    func preparedBF16WeightAgainstReference() throws {
        let engine = try DNNLMatmul()
        let out = 384, inFeatures = 1536, tokens = 416
        var random = TestRandom(seed: 21)
        let w = random.array(out * inFeatures), x = random.array(tokens * inFeatures)  // [out, in], [tokens, in]
        let weight = try engine.prepareWeight(outFeatures: out, inFeatures: inFeatures, use: .forward, dataType: .bf16, tokens: tokens)
        try engine.refresh(weight, from: w)
        var y = [Float](repeating: 0, count: tokens * out)  // [tokens, out]
        try engine.gemm(m: tokens, a: x.map(BFloat16.init), weight: weight, c: &y)
        var expected = y
        referenceBF16Gemm(transB: true, m: tokens, n: out, k: inFeatures, a: x, b: w, c: &expected)
        let tolerance = fp32Tolerance(k: inFeatures)
        assertClose(y, expected, relativeTolerance: tolerance.relative, absoluteTolerance: tolerance.absolute, "\(weight.implementation)")
    }
}
