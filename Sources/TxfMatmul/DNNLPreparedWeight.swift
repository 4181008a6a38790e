import CDNNL
import TxfCore

/// A copy of an [out, in] fp32 weight, in the data type and blocked layout oneDNN's matmul
/// prefers for one use of it, so that products need not re-pack the weight on every call.
///
/// The recipe: the fp32 master stays the optimizer's; `DNNLMatmul.refresh(_:from:)` rewrites
/// the copy (converting to bf16 when the copy is bf16, round to nearest even) once per
/// optimizer step, or once at start for a frozen weight. The layout depends on which operand
/// the weight is, so forward and input-gradient products each need their own copy.
public final class DNNLPreparedWeight {
    /// Which product the copy serves.
    public enum Use: String, Sendable, CaseIterable {
        /// y = x · Wᵀ: op(B) = Wᵀ, k = in, n = out.
        case forward
        /// dX = dY · W: op(B) = W, k = out, n = in.
        case inputGradient
    }

    public let outFeatures: Int
    public let inFeatures: Int
    public let use: Use
    public let dataType: MatmulDataType
    /// The matmul implementation that chose the layout ("brg:avx512_core_amx_bf16").
    public let implementation: String
    /// Whether oneDNN kept a plain row-major layout (true for some f32 implementations).
    public let isPlainLayout: Bool

    let layout: PreparedLayout
    let context: DNNLContext
    /// The copy, in oneDNN-allocated memory.
    let memory: dnnl_memory_t
    /// The caller's fp32 master, [out, in] with its leading dimension; buffer set per refresh.
    let master: dnnl_memory_t
    let reorder: dnnl_primitive_t

    init(context: DNNLContext, outFeatures: Int, inFeatures: Int, use: Use, dataType: MatmulDataType, tokens: Int,
         masterLeadingDimension: Int) throws {
        self.context = context
        self.outFeatures = outFeatures
        self.inFeatures = inFeatures
        self.use = use
        self.dataType = dataType
        let forward = use == .forward
        let k = forward ? inFeatures : outFeatures, n = forward ? outFeatures : inFeatures
        let what = "prepared \(use.rawValue) weight [\(outFeatures), \(inFeatures)] \(dataType.rawValue) for \(tokens) tokens"

        // Ask a product of the shape the weight will serve which layout it wants.
        let pd = try makeMatmulPrimitiveDescriptor(
            context: context,
            source: try stridedDescriptor(dims: [tokens, k], strides: [k, 1], type: dataType, what: what),
            weights: try anyLayoutDescriptor(dims: [k, n], type: dataType, what: what),
            destination: try stridedDescriptor(dims: [tokens, n], strides: [n, 1], type: .f32, what: what),
            alpha: 1, beta: 0, what: what)
        defer { dnnl_primitive_desc_destroy(pd) }
        implementation = implementationName(pd)
        guard let chosen = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0)?.pointee else {
            throw TxfError("oneDNN dnnl_primitive_desc_query_md gave no weights layout (\(what))")
        }
        layout = PreparedLayout(k: k, n: n, use: use, dataType: dataType, tokens: tokens, descriptor: chosen)
        var plain = try stridedDescriptor(dims: [k, n], strides: forward ? [1, k] : [n, 1], type: dataType, what: what)
        var chosenCopy = chosen
        isPlainLayout = dnnl_memory_desc_equal(&chosenCopy, &plain) != 0

        var memory: dnnl_memory_t?
        try dnnlCheck(dnnl_memory_create(&memory, &chosenCopy, context.engine, txf_dnnl_memory_allocate()), "dnnl_memory_create", what)
        // The master [out, in] read as op(B): Wᵀ [in, out] has strides (1, ld), W [out, in] has (ld, 1).
        var masterDescriptor = try stridedDescriptor(
            dims: [k, n], strides: forward ? [1, masterLeadingDimension] : [masterLeadingDimension, 1], type: .f32, what: what)
        var master: dnnl_memory_t?, reorderPD: dnnl_primitive_desc_t?, reorder: dnnl_primitive_t?
        do {
            master = try context.borrowedMemory(masterDescriptor, what: what)
            try dnnlCheck(dnnl_reorder_primitive_desc_create(&reorderPD, &masterDescriptor, context.engine, &chosenCopy, context.engine, nil),
                          "dnnl_reorder_primitive_desc_create", what)
            defer { dnnl_primitive_desc_destroy(reorderPD) }
            try dnnlCheck(dnnl_primitive_create(&reorder, reorderPD), "dnnl_primitive_create", what)
        } catch {
            // A throwing initialiser runs no deinit: release what was made before rethrowing.
            if let master { dnnl_memory_destroy(master) }
            dnnl_memory_destroy(memory)
            throw error
        }
        self.memory = memory!
        self.master = master!
        self.reorder = reorder!
    }

    deinit {
        dnnl_primitive_destroy(reorder)
        dnnl_memory_destroy(master)
        dnnl_memory_destroy(memory)
    }
}

/// What fixes a prepared weight's layout; equal values give equal layouts, so products on all
/// weights of one shape and use share a primitive.
struct PreparedLayout: Hashable {
    var k: Int, n: Int
    var use: DNNLPreparedWeight.Use
    var dataType: MatmulDataType
    var tokens: Int
    /// oneDNN's descriptor of the layout (determined by the fields above, so not hashed).
    var descriptor: dnnl_memory_desc_t

    static func == (lhs: PreparedLayout, rhs: PreparedLayout) -> Bool {
        (lhs.k, lhs.n, lhs.use, lhs.dataType, lhs.tokens) == (rhs.k, rhs.n, rhs.use, rhs.dataType, rhs.tokens)
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(k)
        hasher.combine(n)
        hasher.combine(use)
        hasher.combine(dataType)
        hasher.combine(tokens)
    }
}

extension DNNLMatmul {
    /// A copy of an [outFeatures, inFeatures] weight for `use`, in the layout oneDNN prefers
    /// for products with `tokens` rows; call `refresh(_:from:)` to fill it.
    ///
    /// - Parameters:
    ///   - tokens: the m the layout is chosen for (the usual micro-batch tokens); products with
    ///     other m use the same layout.
    ///   - masterLeadingDimension: the fp32 master's row length (default `inFeatures`).
    /// - Throws: `TxfError` naming the oneDNN status (e.g. bf16 on a CPU without it).
    public func prepareWeight(outFeatures: Int, inFeatures: Int, use: DNNLPreparedWeight.Use, dataType: MatmulDataType,
                              tokens: Int, masterLeadingDimension: Int? = nil) throws -> DNNLPreparedWeight {
        try DNNLPreparedWeight(context: context, outFeatures: outFeatures, inFeatures: inFeatures, use: use,
                               dataType: dataType, tokens: tokens, masterLeadingDimension: masterLeadingDimension ?? inFeatures)
    }

    /// Rewrites `weight` from its fp32 master [out, in] (converted to the copy's data type).
    public func refresh(_ weight: DNNLPreparedWeight, from master: UnsafePointer<Float>) throws {
        try requireOwn(weight)
        func what() -> String { "refresh of \(weight.use.rawValue) weight [\(weight.outFeatures), \(weight.inFeatures)]" }
        try dnnlCheck(dnnl_memory_set_data_handle(weight.master, UnsafeMutableRawPointer(mutating: master)), "dnnl_memory_set_data_handle", what())
        try context.execute(weight.reorder, [(txf_dnnl_arg_from(), weight.master), (txf_dnnl_arg_to(), weight.memory)], what: what())
    }

    /// C = alpha · A · op(W) + beta · C with op(W) = Wᵀ for a forward copy, W for an
    /// input-gradient copy.
    ///
    /// - Parameters:
    ///   - a: [m, k] activations (x for forward, dY for the input gradient), of the copy's type.
    ///   - c: [m, n] with leading dimension `ldc`.
    public func gemm<Element: MatmulElement>(
        m: Int, alpha: Float = 1,
        a: UnsafePointer<Element>, lda: Int? = nil,
        weight: DNNLPreparedWeight,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int? = nil
    ) throws {
        try requireOwn(weight)
        guard Element.matmulDataType == weight.dataType else {
            throw TxfError("a \(weight.dataType.rawValue) prepared weight needs \(weight.dataType.rawValue) activations, not \(Element.matmulDataType.rawValue)")
        }
        let l = weight.layout
        let layout = GemmLayout(transA: false, transB: weight.use == .forward, m: m, n: l.n, k: l.k, lda: lda, ldb: nil, ldc: ldc)
        try run(PrimitiveKey(layout: layout, dataType: weight.dataType, alpha: alpha, beta: beta, prepared: l),
                a: UnsafeRawPointer(a), b: nil, weights: weight.memory, c: c)
    }

    private func requireOwn(_ weight: DNNLPreparedWeight) throws {
        guard weight.context === context else {
            throw TxfError("a prepared weight was used with a DNNLMatmul other than the one that prepared it")
        }
    }
}
