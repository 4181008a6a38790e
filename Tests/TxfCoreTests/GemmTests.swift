import Testing
import TxfCore

@Suite("gemm wrapper")
struct GemmTests {
    /// Hand-computed: A = [[1,2],[3,4]], B = [[5,6],[7,8]].
    @Test func twoByTwoAllTransposes() {
        let a: [Float] = [1, 2, 3, 4], b: [Float] = [5, 6, 7, 8]
        let cases: [(Bool, Bool, [Float])] = [
            (false, false, [19, 22, 43, 50]),  // A·B
            (false, true, [17, 23, 39, 53]),   // A·Bᵀ
            (true, false, [26, 30, 38, 44]),   // Aᵀ·B
            (true, true, [23, 31, 34, 46]),    // Aᵀ·Bᵀ
        ]
        for (transA, transB, expected) in cases {
            var c = [Float](repeating: 0, count: 4)
            gemm(transA: transA, transB: transB, m: 2, n: 2, k: 2, a: a, b: b, c: &c)
            #expect(c == expected, "transA \(transA) transB \(transB)")
        }
    }

    /// All four transpose combinations, odd sizes (off the kernels' block multiples), leading
    /// dimensions larger than the rows, alpha and beta both in play, against a Double loop.
    ///
    /// Tolerance: each element is a Float sum of k products of values in [-1, 1]; rounding
    /// error is at most about k·2⁻²⁴ ≈ k·6e-8 in absolute terms, so abs 1e-6·k is generous
    /// and relative 1e-5 covers alpha/beta scaling.
    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func againstDoubleReference(transA: Bool, transB: Bool) {
        var random = TestRandom(seed: 7 + (transA ? 2 : 0) + (transB ? 1 : 0))
        for (m, n, k) in [(5, 7, 3), (67, 45, 53), (1, 33, 130)] {
            let (padA, padB, padC) = (3, 5, 2)
            let rowsA = transA ? k : m, colsA = transA ? m : k
            let rowsB = transB ? n : k, colsB = transB ? k : n
            let lda = colsA + padA, ldb = colsB + padB, ldc = n + padC
            let a = random.array(rowsA * lda)  // [rowsA, lda], padding holds junk
            let b = random.array(rowsB * ldb)  // [rowsB, ldb]
            let c0 = random.array(m * ldc)     // [m, ldc]
            let alpha: Float = 0.75, beta: Float = -0.5

            var expected = c0.map(Double.init)
            for i in 0..<m {
                for j in 0..<n {
                    var sum = 0.0
                    for p in 0..<k {
                        let aip = transA ? a[p * lda + i] : a[i * lda + p]
                        let bpj = transB ? b[j * ldb + p] : b[p * ldb + j]
                        sum += Double(aip) * Double(bpj)
                    }
                    expected[i * ldc + j] = Double(alpha) * sum + Double(beta) * Double(c0[i * ldc + j])
                }
            }
            var c = c0
            gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                 a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: &c, ldc: ldc)
            assertClose(c, expected, relativeTolerance: 1e-5, absoluteTolerance: 1e-6 * Double(k),
                        "m \(m) n \(n) k \(k)")
            // Padding columns of C are outside the product and must be untouched.
            for i in 0..<m { for j in n..<ldc { #expect(c[i * ldc + j] == c0[i * ldc + j]) } }
        }
    }

    /// k = 0: the product is empty, so C = beta·C (and the default leading dimensions must
    /// still be valid for BLAS).
    @Test func emptyInnerDimensionScalesC() {
        let a: [Float] = [0], b: [Float] = [0]
        var c: [Float] = [1, -2, 3, 4, 5, 6]
        gemm(m: 2, n: 3, k: 0, a: a, b: b, beta: 2, c: &c)
        #expect(c == [2, -4, 6, 8, 10, 12])
    }
}
