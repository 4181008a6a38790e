import TxfCore

/// The bf16 product's semantics on any CPU: C = alpha · op(bf16(A)) · op(bf16(B)) + beta · C,
/// with the inputs rounded to bf16 (kept as floats) and the product an fp32 OpenBLAS sgemm.
///
/// The engine's bf16 path computes the same thing up to fp32 summation order, so numerics,
/// gradients and resume can be tested with this on machines without bf16 hardware. Arguments
/// mean exactly what they mean for TxfCore's `gemm`. Allocates a rounded copy of each stored
/// input (its rows × leading dimension) per call: a test path, not a fast one.
public func referenceBF16Gemm(
    transA: Bool = false, transB: Bool = false,
    m: Int, n: Int, k: Int,
    alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int? = nil,
    b: UnsafePointer<Float>, ldb: Int? = nil,
    beta: Float = 0,
    c: UnsafeMutablePointer<Float>, ldc: Int? = nil
) {
    if m == 0 || n == 0 { return }
    let layout = GemmLayout(transA: transA, transB: transB, m: m, n: n, k: k, lda: lda, ldb: ldb, ldc: ldc)
    let roundedA = rounded(a, count: layout.storedElementsA)  // A's stored rows × lda
    let roundedB = rounded(b, count: layout.storedElementsB)  // B's stored rows × ldb
    defer { roundedA.deallocate(); roundedB.deallocate() }
    gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
         a: roundedA, lda: layout.lda, b: roundedB, ldb: layout.ldb, beta: beta, c: c, ldc: layout.ldc)
}

/// A fresh buffer holding `source` rounded to bf16 (as floats).
private func rounded(_ source: UnsafePointer<Float>, count: Int) -> UnsafeMutablePointer<Float> {
    let copy = UnsafeMutablePointer<Float>.allocate(capacity: max(1, count))
    copy.initialize(from: source, count: count)
    BFloat16Conversion.roundInPlace(copy, count: count)
    return copy
}

/// The row-major layout of one `gemm` call, leading dimensions resolved as `gemm` resolves them.
///
/// op(A) is [m, k], op(B) is [k, n], C is [m, n]; with `transA` A is stored [k, m], with
/// `transB` B is stored [n, k].
struct GemmLayout: Hashable {
    var transA: Bool, transB: Bool
    var m: Int, n: Int, k: Int
    var lda: Int, ldb: Int, ldc: Int

    init(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, lda: Int?, ldb: Int?, ldc: Int?) {
        self.transA = transA
        self.transB = transB
        self.m = m
        self.n = n
        self.k = k
        self.lda = lda ?? max(1, transA ? m : k)
        self.ldb = ldb ?? max(1, transB ? k : n)
        self.ldc = ldc ?? n
    }

    /// Stored rows of A and B.
    var storedRowsA: Int { transA ? k : m }
    var storedRowsB: Int { transB ? n : k }

    /// Elements a caller's A and B span: every stored row but the last is a full leading
    /// dimension long (the padding of the last row need not exist).
    var storedElementsA: Int { storedRowsA == 0 ? 0 : (storedRowsA - 1) * lda + (transA ? m : k) }
    var storedElementsB: Int { storedRowsB == 0 ? 0 : (storedRowsB - 1) * ldb + (transB ? k : n) }

    /// "2048×384×1536 NT" (m×k×n, as SgemmBenchmark labels shapes).
    var label: String { "\(m)×\(k)×\(n) \(transA ? "T" : "N")\(transB ? "T" : "N")" }
}
