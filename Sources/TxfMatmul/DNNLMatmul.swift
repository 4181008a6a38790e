import CDNNL
import TxfCore

/// Row-major matrix products on oneDNN's matmul primitive: C = alpha · op(A) · op(B) + beta · C,
/// inputs f32 or bf16, accumulation and C in f32.
///
/// Arguments mean what they mean for TxfCore's `gemm`: op(A) is [m, k], op(B) is [k, n], C is
/// [m, n]; with `transA` A is stored [k, m], with `transB` B is stored [n, k] (the [out, in]
/// weight layout: y = x·Wᵀ is `transB: true`); leading dimensions default to packed rows.
/// Transposes and leading dimensions become the strides of plain memory descriptors, so no
/// operand is copied on the caller's side.
///
/// A primitive is created the first time a problem is seen (0.2–0.9 ms) and kept, keyed by
/// shape, transposes, leading dimensions, batch strides, data type, and alpha and beta (they
/// are baked into the primitive: alpha as the output scale, beta as a sum post-op; a model
/// uses a handful of constants). Creation and execution run on one engine and stream, so an
/// instance belongs to one thread. oneDNN threads through OpenMP (OMP_NUM_THREADS).
public final class DNNLMatmul {
    let context: DNNLContext
    var cache: [PrimitiveKey: MatmulPrimitive] = [:]

    /// Creates the CPU engine and stream.
    /// - Throws: `TxfError` naming the oneDNN status when the engine cannot be created.
    public init() throws { context = try DNNLContext() }

    /// Primitives created so far (one per distinct problem; repeats reuse them).
    public var primitiveCount: Int { cache.count }

    /// The implementations oneDNN chose for the cached primitives ("brg:avx512_core_amx_bf16",
    /// "gemm:jit"), for reports.
    public var implementations: Set<String> { Set(cache.values.map(\.implementation)) }

    /// C = alpha · op(A) · op(B) + beta · C (see the type's description).
    ///
    /// - Parameters:
    ///   - a: [m, k] (or [k, m] with `transA`), leading dimension `lda`.
    ///   - b: [k, n] (or [n, k] with `transB`), leading dimension `ldb`.
    ///   - c: [m, n], leading dimension `ldc`; read only when beta ≠ 0.
    /// - Throws: `TxfError` naming the oneDNN call and status, e.g. bf16 on a CPU without it.
    public func gemm<Element: MatmulElement>(
        transA: Bool = false, transB: Bool = false,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Element>, lda: Int? = nil,
        b: UnsafePointer<Element>, ldb: Int? = nil,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int? = nil
    ) throws {
        let layout = GemmLayout(transA: transA, transB: transB, m: m, n: n, k: k, lda: lda, ldb: ldb, ldc: ldc)
        try run(PrimitiveKey(layout: layout, dataType: Element.matmulDataType, alpha: alpha, beta: beta),
                a: UnsafeRawPointer(a), b: UnsafeRawPointer(b), c: c)
    }

    /// `batch` independent products in one call: C[i] = alpha · op(A[i]) · op(B[i]) + beta · C[i].
    ///
    /// For attention: all heads of a micro-batch at once (scores Q·Kᵀ, context P·V and their
    /// gradients), which keeps the small per-head products off the per-call overhead.
    ///
    /// - Parameters:
    ///   - batch: number of products.
    ///   - strideA, strideB, strideC: elements from one matrix of the batch to the next;
    ///     default to packed matrices (stored rows × leading dimension).
    ///   - the rest: as for `gemm`, per matrix of the batch.
    public func batchedGemm<Element: MatmulElement>(
        batch: Int,
        transA: Bool = false, transB: Bool = false,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Element>, lda: Int? = nil, strideA: Int? = nil,
        b: UnsafePointer<Element>, ldb: Int? = nil, strideB: Int? = nil,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int? = nil, strideC: Int? = nil
    ) throws {
        let layout = GemmLayout(transA: transA, transB: transB, m: m, n: n, k: k, lda: lda, ldb: ldb, ldc: ldc)
        let strides = BatchStrides(
            count: batch, a: strideA ?? layout.storedRowsA * layout.lda,
            b: strideB ?? layout.storedRowsB * layout.ldb, c: strideC ?? m * layout.ldc)
        try run(PrimitiveKey(layout: layout, batch: strides, dataType: Element.matmulDataType, alpha: alpha, beta: beta),
                a: UnsafeRawPointer(a), b: UnsafeRawPointer(b), c: c)
    }

    // MARK: - Execution

    /// Finds or creates the primitive for `key` and runs it on the caller's buffers.
    func run(_ key: PrimitiveKey, a: UnsafeRawPointer, b: UnsafeRawPointer?, weights: dnnl_memory_t? = nil,
             c: UnsafeMutablePointer<Float>) throws {
        let layout = key.layout
        let count = key.batch?.count ?? 1
        if layout.m == 0 || layout.n == 0 || count == 0 { return }
        if layout.k == 0 {
            // oneDNN rejects empty reductions; the product is then beta · C.
            for matrix in 0..<count {
                scale(c + matrix * (key.batch?.c ?? 0), rows: layout.m, columns: layout.n, ld: layout.ldc, by: key.beta)
            }
            return
        }
        let entry = try primitive(for: key)
        // The description is built only when a call fails (a step makes thousands of calls).
        try dnnlCheck(dnnl_memory_set_data_handle(entry.source, UnsafeMutableRawPointer(mutating: a)), "dnnl_memory_set_data_handle", key.description)
        try dnnlCheck(dnnl_memory_set_data_handle(entry.destination, UnsafeMutableRawPointer(c)), "dnnl_memory_set_data_handle", key.description)
        let weightMemory: dnnl_memory_t
        if let weights {
            weightMemory = weights
        } else {
            weightMemory = entry.weights!
            try dnnlCheck(dnnl_memory_set_data_handle(weightMemory, UnsafeMutableRawPointer(mutating: b)), "dnnl_memory_set_data_handle", key.description)
        }
        try context.execute(entry.primitive, [
            (txf_dnnl_arg_src(), entry.source), (txf_dnnl_arg_weights(), weightMemory), (txf_dnnl_arg_dst(), entry.destination),
        ], what: key.description)
    }

    /// The cached primitive for `key`, created on first use.
    func primitive(for key: PrimitiveKey) throws -> MatmulPrimitive {
        if let entry = cache[key] { return entry }
        let what = key.description
        let descriptors = try key.descriptors()
        let pd = try makeMatmulPrimitiveDescriptor(
            context: context, source: descriptors.source, weights: key.prepared?.descriptor ?? descriptors.weights,
            destination: descriptors.destination, alpha: key.alpha, beta: key.beta, what: what)
        defer { dnnl_primitive_desc_destroy(pd) }
        let entry = try MatmulPrimitive(context: context, pd: pd, source: descriptors.source,
                                        weights: key.prepared == nil ? descriptors.weights : nil,
                                        destination: descriptors.destination, what: what)
        cache[key] = entry
        return entry
    }
}

/// C = beta · C over an [rows, columns] block with leading dimension `ld` (beta 0 writes 0).
private func scale(_ c: UnsafeMutablePointer<Float>, rows: Int, columns: Int, ld: Int, by beta: Float) {
    for row in 0..<rows {
        let line = c + row * ld
        for column in 0..<columns { line[column] = beta == 0 ? 0 : beta * line[column] }
    }
}

/// A matmul primitive descriptor for the three operand descriptors, alpha as the output scale
/// and beta as a sum post-op (both omitted at their neutral values). The caller destroys it.
func makeMatmulPrimitiveDescriptor(
    context: DNNLContext, source: dnnl_memory_desc_t, weights: dnnl_memory_desc_t, destination: dnnl_memory_desc_t,
    alpha: Float, beta: Float, what: @autoclosure () -> String
) throws -> dnnl_primitive_desc_t {
    var source = source, weights = weights, destination = destination
    var operation = dnnl_matmul_desc_t()
    try dnnlCheck(dnnl_matmul_desc_init(&operation, &source, &weights, nil, &destination), "dnnl_matmul_desc_init", what())
    var attributes: dnnl_primitive_attr_t?
    try dnnlCheck(dnnl_primitive_attr_create(&attributes), "dnnl_primitive_attr_create", what())
    defer { dnnl_primitive_attr_destroy(attributes) }
    if alpha != 1 {
        try dnnlCheck(dnnl_primitive_attr_set_output_scales(attributes, 1, 0, [alpha]), "dnnl_primitive_attr_set_output_scales", what())
    }
    if beta != 0 {
        var postOps: dnnl_post_ops_t?
        try dnnlCheck(dnnl_post_ops_create(&postOps), "dnnl_post_ops_create", what())
        defer { dnnl_post_ops_destroy(postOps) }
        try dnnlCheck(dnnl_post_ops_append_sum(postOps, beta), "dnnl_post_ops_append_sum", what())
        try dnnlCheck(dnnl_primitive_attr_set_post_ops(attributes, postOps), "dnnl_primitive_attr_set_post_ops", what())
    }
    var pd: dnnl_primitive_desc_t?
    try dnnlCheck(dnnl_primitive_desc_create(&pd, &operation, attributes, context.engine, nil), "dnnl_primitive_desc_create", what())
    return pd!
}

/// The oneDNN implementation name of a primitive descriptor ("brg:avx512_core_amx_bf16").
func implementationName(_ pd: dnnl_primitive_desc_t) -> String {
    txf_dnnl_impl_info(pd).map { String(cString: $0) } ?? "unknown"
}
