import Testing
import TxfCore
import TxfMatmul

/// One strided row-major problem with random operands (padding included) and its C.
struct Problem {
    var transA: Bool, transB: Bool
    var m: Int, n: Int, k: Int
    var lda: Int, ldb: Int, ldc: Int
    var a: [Float], b: [Float], c: [Float]

    init(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, padding: Int = 0, seed: UInt64) {
        var random = TestRandom(seed: seed)
        self.transA = transA
        self.transB = transB
        (self.m, self.n, self.k) = (m, n, k)
        lda = (transA ? m : k) + padding
        ldb = (transB ? k : n) + padding
        ldc = n + padding
        a = random.array((transA ? k : m) * lda)  // [stored rows, lda]
        b = random.array((transB ? n : k) * ldb)  // [stored rows, ldb]
        c = random.array(m * ldc)                 // [m, ldc]
    }

    /// C after OpenBLAS sgemm.
    func openBLAS(alpha: Float, beta: Float) -> [Float] {
        var c = self.c
        gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
             beta: beta, c: &c, ldc: ldc)
        return c
    }

    /// C after the oneDNN f32 product.
    func oneDNN(_ engine: DNNLMatmul, alpha: Float, beta: Float) throws -> [Float] {
        var c = self.c
        try engine.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                        beta: beta, c: &c, ldc: ldc)
        return c
    }
}

/// Tolerance for two fp32 products of the same inputs in different summation orders: each
/// element is a sum of k products of values in [-1, 1), so each side's rounding error is at
/// most about k·2⁻²⁴ ≈ k·6e-8 absolute; abs 2e-7·k plus rel 1e-5 (alpha, beta) is generous.
func fp32Tolerance(k: Int) -> (relative: Double, absolute: Double) { (1e-5, 2e-7 * Double(k) + 1e-6) }

@Suite("oneDNN matmul, f32 against OpenBLAS")
struct DNNLMatmulTests {
    /// BERT/MiniLM shapes (hidden 384, FFN 1536, 416 tokens): forward x·Wᵀ, input gradient
    /// dY·W, weight gradient dYᵀ·X.
    @Test(arguments: [
        (416, 1536, 384, false, true), (416, 384, 384, false, false), (416, 384, 1536, false, false),
        (384, 1536, 416, true, false),
    ])
    func bertShapes(m: Int, n: Int, k: Int, transA: Bool, transB: Bool) throws {
        let engine = try DNNLMatmul()
        let problem = Problem(transA: transA, transB: transB, m: m, n: n, k: k, seed: UInt64(m * 7 + n))
        let tolerance = fp32Tolerance(k: k)
        assertClose(try problem.oneDNN(engine, alpha: 1, beta: 0), problem.openBLAS(alpha: 1, beta: 0),
                    relativeTolerance: tolerance.relative, absoluteTolerance: tolerance.absolute)
    }

    /// All transposes, odd sizes off every block multiple, padded leading dimensions (the padding
    /// of C must stay untouched), alpha and beta each at and off their neutral values.
    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func oddSizesAlphaBeta(transA: Bool, transB: Bool) throws {
        let engine = try DNNLMatmul()
        for (m, n, k) in [(5, 7, 3), (67, 45, 53), (1, 33, 130)] {
            for (alpha, beta) in [(Float(1), Float(0)), (0.75, -0.5), (1, 1), (0.125, 0)] {
                let problem = Problem(transA: transA, transB: transB, m: m, n: n, k: k, padding: 3, seed: UInt64(m + n + k))
                let tolerance = fp32Tolerance(k: k)
                assertClose(try problem.oneDNN(engine, alpha: alpha, beta: beta), problem.openBLAS(alpha: alpha, beta: beta),
                            relativeTolerance: tolerance.relative, absoluteTolerance: tolerance.absolute,
                            "\(m)×\(k)×\(n) alpha \(alpha) beta \(beta)")
            }
        }
    }

    /// An empty reduction leaves beta · C, as BLAS does; beta 0 writes zeros.
    @Test func emptyReduction() throws {
        let engine = try DNNLMatmul()
        let a: [Float] = [], b: [Float] = []
        var c: [Float] = [1, 2, 3, 4]
        try engine.gemm(m: 2, n: 2, k: 0, a: a, b: b, beta: 0.5, c: &c)
        #expect(c == [0.5, 1, 1.5, 2])
        try engine.gemm(m: 2, n: 2, k: 0, a: a, b: b, beta: 0, c: &c)
        #expect(c == [0, 0, 0, 0])
        #expect(engine.primitiveCount == 0)
    }

    /// Packed batch: 12 heads of [32, 64]·[64, 32], one call, against one sgemm per head.
    @Test func batchedPacked() throws {
        let engine = try DNNLMatmul()
        var random = TestRandom(seed: 11)
        let heads = 12, m = 32, k = 64, n = 32
        let a = random.array(heads * m * k), b = random.array(heads * k * n)  // [heads, m, k], [heads, k, n]
        var c = [Float](repeating: 0, count: heads * m * n)                    // [heads, m, n]
        try engine.batchedGemm(batch: heads, m: m, n: n, k: k, a: a, b: b, c: &c)
        var expected = [Float](repeating: 0, count: heads * m * n)
        for h in 0..<heads {
            a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in expected.withUnsafeMutableBufferPointer { e in
                gemm(m: m, n: n, k: k, a: a.baseAddress! + h * m * k, b: b.baseAddress! + h * k * n, c: e.baseAddress! + h * m * n)
            } } }
        }
        let tolerance = fp32Tolerance(k: k)
        assertClose(c, expected, relativeTolerance: tolerance.relative, absoluteTolerance: tolerance.absolute)
        #expect(engine.primitiveCount == 1)
    }

    /// Attention as the model lays it out: Q and K heads interleaved in a [tokens, 3·hidden]
    /// buffer (head h at column h·32), scores S_h = alpha · Q_h · K_hᵀ for 12 heads of 64 tokens
    /// into [heads, tokens, tokens], then the context P_h · V_h back into [tokens, hidden] with
    /// beta 1 (accumulation).
    @Test func batchedAttentionStrides() throws {
        let engine = try DNNLMatmul()
        var random = TestRandom(seed: 13)
        let heads = 12, headSize = 32, tokens = 64, hidden = heads * headSize, ld = 3 * hidden
        let qkv = random.array(tokens * ld)                 // [tokens, 3·hidden]
        let alpha = 1 / Float(headSize).squareRoot()
        var scores = [Float](repeating: 0, count: heads * tokens * tokens)  // [heads, tokens, tokens]
        try qkv.withUnsafeBufferPointer { qkv in
            try engine.batchedGemm(batch: heads, transB: true, m: tokens, n: tokens, k: headSize, alpha: alpha,
                                   a: qkv.baseAddress!, lda: ld, strideA: headSize,
                                   b: qkv.baseAddress! + hidden, ldb: ld, strideB: headSize, c: &scores)
        }
        var expectedScores = [Float](repeating: 0, count: scores.count)
        qkv.withUnsafeBufferPointer { qkv in expectedScores.withUnsafeMutableBufferPointer { e in
            for h in 0..<heads {
                gemm(transB: true, m: tokens, n: tokens, k: headSize, alpha: alpha, a: qkv.baseAddress! + h * headSize, lda: ld,
                     b: qkv.baseAddress! + hidden + h * headSize, ldb: ld, c: e.baseAddress! + h * tokens * tokens)
            }
        } }
        var tolerance = fp32Tolerance(k: headSize)
        assertClose(scores, expectedScores, relativeTolerance: tolerance.relative, absoluteTolerance: tolerance.absolute, "scores")

        let start = random.array(tokens * hidden)  // [tokens, hidden]
        var context = start, expectedContext = start
        try scores.withUnsafeBufferPointer { p in try qkv.withUnsafeBufferPointer { qkv in
            try engine.batchedGemm(batch: heads, m: tokens, n: headSize, k: tokens, a: p.baseAddress!,
                                   b: qkv.baseAddress! + 2 * hidden, ldb: ld, strideB: headSize,
                                   beta: 1, c: &context, ldc: hidden, strideC: headSize)
        } }
        scores.withUnsafeBufferPointer { p in qkv.withUnsafeBufferPointer { qkv in expectedContext.withUnsafeMutableBufferPointer { e in
            for h in 0..<heads {
                gemm(m: tokens, n: headSize, k: tokens, a: p.baseAddress! + h * tokens * tokens,
                     b: qkv.baseAddress! + 2 * hidden + h * headSize, ldb: ld, beta: 1, c: e.baseAddress! + h * headSize, ldc: hidden)
            }
        } } }
        tolerance = fp32Tolerance(k: tokens)
        assertClose(context, expectedContext, relativeTolerance: tolerance.relative, absoluteTolerance: tolerance.absolute, "context")
    }

    /// The same problem twice makes one primitive; a new shape, alpha, beta, transpose,
    /// leading dimension or batch makes another.
    @Test func primitivesAreCachedPerProblem() throws {
        let engine = try DNNLMatmul()
        let problem = Problem(transA: false, transB: true, m: 17, n: 9, k: 5, seed: 1)
        _ = try problem.oneDNN(engine, alpha: 1, beta: 0)
        _ = try problem.oneDNN(engine, alpha: 1, beta: 0)
        #expect(engine.primitiveCount == 1)
        _ = try problem.oneDNN(engine, alpha: 0.5, beta: 0)
        _ = try problem.oneDNN(engine, alpha: 1, beta: 1)
        #expect(engine.primitiveCount == 3)
        let other = Problem(transA: false, transB: true, m: 17, n: 9, k: 5, padding: 2, seed: 2)
        _ = try other.oneDNN(engine, alpha: 1, beta: 0)
        _ = try other.oneDNN(engine, alpha: 1, beta: 0)
        #expect(engine.primitiveCount == 4)
        #expect(!engine.implementations.isEmpty)
    }

    /// Without any bf16 matmul in oneDNN (AVX2), a bf16 product is a TxfError naming the call
    /// and status, not a crash.
    @Test(.enabled(if: BF16EngineSupport.probe().implementation == nil, "oneDNN has a bf16 matmul on this CPU"))
    func bf16WithoutSupportIsAClearError() throws {
        let engine = try DNNLMatmul()
        let a = [BFloat16](repeating: BFloat16(1), count: 4)
        var c = [Float](repeating: 0, count: 4)
        let error = #expect(throws: TxfError.self) { try engine.gemm(m: 2, n: 2, k: 2, a: a, b: a, c: &c) }
        #expect(error?.message.contains("dnnl_primitive_desc_create failed: unimplemented") == true, "\(String(describing: error))")
    }
}

/// oneDNN's OpenMP threads can be set from Swift (libgomp comes with libdnnl).
@Test func oneDNNThreadsCanBeSet() throws {
    _ = try DNNLMatmul()
    #expect(OneDNNThreads.set(1))
    #expect(OneDNNThreads.matchBLAS())
}
