import COpenBLAS

/// Row-major single-precision matrix multiply on OpenBLAS: C = alpha · op(A) · op(B) + beta · C.
///
/// op(A) is [m, k], op(B) is [k, n], C is [m, n]. With `transA`, A is stored [k, m]; with
/// `transB`, B is stored [n, k] (the [out, in] weight layout: y = x·Wᵀ is `transB: true`).
/// Leading dimensions default to the packed row length of each stored matrix.
@inlinable
public func gemm(
    transA: Bool = false, transB: Bool = false,
    m: Int, n: Int, k: Int,
    alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int? = nil,
    b: UnsafePointer<Float>, ldb: Int? = nil,
    beta: Float = 0,
    c: UnsafeMutablePointer<Float>, ldc: Int? = nil
) {
    if m == 0 || n == 0 { return }
    let storedA = transA ? m : k
    let storedB = transB ? k : n
    cblas_sgemm(
        CblasRowMajor,
        transA ? CblasTrans : CblasNoTrans,
        transB ? CblasTrans : CblasNoTrans,
        blasint(m), blasint(n), blasint(k),
        // max(1, ·): BLAS rejects a leading dimension of 0 even when k == 0 (C = beta·C).
        alpha, a, blasint(lda ?? max(1, storedA)), b, blasint(ldb ?? max(1, storedB)),
        beta, c, blasint(ldc ?? n))
}

/// The BLAS library's own description (version, build options, the core type it chose).
public func blasLibraryConfig() -> String { String(cString: openblas_get_config()) }

/// The kernel family OpenBLAS picked at load time (e.g. "Haswell", "SkylakeX").
public func blasCoreName() -> String { String(cString: openblas_get_corename()) }

/// Threads OpenBLAS will use for the next call.
public func blasThreads() -> Int { Int(openblas_get_num_threads()) }

/// Sets the OpenBLAS thread count for this process (takes effect at once).
public func setBLASThreads(_ count: Int) { openblas_set_num_threads(Int32(max(1, count))) }
