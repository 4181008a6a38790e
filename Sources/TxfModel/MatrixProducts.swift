import TxfCore
import TxfMatmul

/// The engine every matrix product of a `BertClassifier` runs on (`MatmulMode`), with what that
/// engine keeps between calls: oneDNN primitives, prepared weight copies and conversion scratch.
///
/// Products are row-major, arguments as for TxfCore's `gemm`: C = alpha · op(A) · op(B) + beta · C,
/// op(A) [m, k], op(B) [k, n], C [m, n], accumulation and C always fp32. Two kinds:
/// - `gemm(…, b:, …)`: both operands are activations (attention, weight gradients dYᵀ·X).
/// - `gemm(…, weight:, …)`: B is an [out, in] parameter matrix W, read as Wᵀ (`transB`, the
///   forward x·Wᵀ) or as W (the input gradient dY·W).
///
/// Per mode:
/// - `.openBLAS`: both kinds are TxfCore's `gemm` with the caller's arguments, so fp32 is
///   bitwise what it was before engines existed.
/// - `.bf16Reference`: both inputs rounded to bf16 (kept as floats) into scratch, then the same
///   sgemm: exactly `referenceBF16Gemm`.
/// - `.oneDNN(type)`: activations converted to `type` into scratch (f32: read in place), then
///   `DNNLMatmul`. A weight registered by the model is multiplied through its prepared copies
///   (oneDNN's preferred layout, one per use), rewritten from the fp32 master the first time a
///   product needs it after `parametersDidChange` (or `trainableParametersDidChange` for a
///   trainable weight); an unregistered weight is an ordinary operand.
///
/// Scratch grows to the largest product seen and is kept, so a step in steady state allocates
/// nothing here. Not thread-safe: one instance per model.
public final class MatrixProducts {
    public let mode: MatmulMode
    /// nil unless the mode is `.oneDNN`.
    private let dnnl: DNNLMatmul?
    /// The m prepared layouts are chosen for (the model's largest micro-batch in tokens).
    private let preparedTokens: Int
    private var weights: [UnsafePointer<Float>: RegisteredWeight] = [:]
    /// Ticks on every change notice; a copy is current when refreshed at or after the last
    /// notice that concerns it.
    private var clock = 0, lastChangeOfAll = 0, lastChangeOfTrainable = 0
    /// Conversion scratch of the two operands: bf16 for oneDNN bf16, bf16-rounded floats for the reference.
    private let bf16A = GrowableBuffer<BFloat16>(), bf16B = GrowableBuffer<BFloat16>()
    private let roundedA = GrowableBuffer<Float>(), roundedB = GrowableBuffer<Float>()
    /// Per-head attention scratch for the batched path, [heads, S, S] each.
    private let headScratchA = GrowableBuffer<Float>(), headScratchB = GrowableBuffer<Float>()

    /// Prepared weight copies rewritten from their masters so far (one per weight and use after
    /// each change notice that concerns it).
    public private(set) var weightRefreshes = 0

    /// - Parameter preparedTokens: the m for which oneDNN picks the prepared weight layouts
    ///   (products of other m use the same copies).
    /// - Throws: `TxfError` when oneDNN cannot create its engine or has no matmul for the
    ///   mode's data type on this CPU (bf16 on a CPU without it).
    public init(mode: MatmulMode, preparedTokens: Int) throws {
        self.mode = mode
        self.preparedTokens = max(1, preparedTokens)
        guard case .oneDNN(let type) = mode else {
            dnnl = nil
            return
        }
        let engine = try DNNLMatmul()
        // Fail here, not in the middle of a pass, when the data type has no matmul.
        _ = try engine.prepareWeight(outFeatures: 16, inFeatures: 16, use: .forward, dataType: type, tokens: 16)
        dnnl = engine
    }

    /// Whether attention should multiply all heads of a sequence in one batched call (oneDNN,
    /// where per-call overhead dominates small products) rather than per head.
    public var batchesHeads: Bool { dnnl != nil }

    // MARK: - Weights

    /// Makes `weight` ([outFeatures, inFeatures], row-major) a prepared-copy weight in the
    /// oneDNN modes (a no-op otherwise). `trainable` weights are also refreshed on
    /// `trainableParametersDidChange`.
    func register(weight: UnsafePointer<Float>, outFeatures: Int, inFeatures: Int, trainable: Bool) {
        guard dnnl != nil else { return }
        weights[weight] = RegisteredWeight(outFeatures: outFeatures, inFeatures: inFeatures, trainable: trainable)
    }

    /// Every registered weight may have changed: each copy is rewritten before its next product.
    public func parametersDidChange() {
        clock += 1
        lastChangeOfAll = clock
        lastChangeOfTrainable = clock
    }

    /// The trainable weights may have changed (an optimizer step); frozen ones keep their copies.
    public func trainableParametersDidChange() {
        clock += 1
        lastChangeOfTrainable = clock
    }

    // MARK: - Products

    /// C = alpha · op(A) · op(B) + beta · C on activations (see the type's description).
    ///
    /// a: [m, k] ([k, m] with `transA`), b: [k, n] ([n, k] with `transB`), c: [m, n];
    /// leading dimensions default to packed rows.
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
        let spanA = Self.span(rows: transA ? k : m, columns: transA ? m : k, ld: lda)
        let spanB = Self.span(rows: transB ? n : k, columns: transB ? k : n, ld: ldb)
        switch mode {
        case .openBLAS:
            TxfCore.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                         beta: beta, c: c, ldc: ldc)
        case .bf16Reference:
            TxfCore.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                         a: rounded(a, count: spanA, into: roundedA), lda: lda ?? max(1, transA ? m : k),
                         b: rounded(b, count: spanB, into: roundedB), ldb: ldb ?? max(1, transB ? k : n),
                         beta: beta, c: c, ldc: ldc)
        case .oneDNN(.f32):
            engineCall { try $0.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                                     b: b, ldb: ldb, beta: beta, c: c, ldc: ldc) }
        case .oneDNN(.bf16):
            let a16 = converted(a, count: spanA, into: bf16A), b16 = converted(b, count: spanB, into: bf16B)
            engineCall { try $0.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a16, lda: lda,
                                     b: b16, ldb: ldb, beta: beta, c: c, ldc: ldc) }
        }
    }

    /// C = alpha · A · op(W) + beta · C for an [out, in] weight W: op(W) = Wᵀ with `transB`
    /// (forward: k = in, n = out), W without (input gradient: k = out, n = in).
    ///
    /// a: [m, k] with leading dimension `lda`, c: [m, n] with `ldc`.
    public func gemm(
        transB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int? = nil,
        weight: UnsafePointer<Float>,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int? = nil
    ) {
        guard let dnnl, let registered = weights[weight], case .oneDNN(let type) = mode else {
            gemm(transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: weight, beta: beta, c: c, ldc: ldc)
            return
        }
        if m == 0 || n == 0 { return }
        let use: DNNLPreparedWeight.Use = transB ? .forward : .inputGradient
        precondition((transB ? (k, n) : (n, k)) == (registered.inFeatures, registered.outFeatures),
                     "product of \(m)×\(k)×\(n) does not fit the registered [\(registered.outFeatures), \(registered.inFeatures)] weight")
        let copy = current(registered, use: use, master: weight, type: type, engine: dnnl)
        switch type {
        case .f32:
            engineCall { try $0.gemm(m: m, alpha: alpha, a: a, lda: lda, weight: copy, beta: beta, c: c, ldc: ldc) }
        case .bf16:
            let a16 = converted(a, count: Self.span(rows: m, columns: k, ld: lda), into: bf16A)
            engineCall { try $0.gemm(m: m, alpha: alpha, a: a16, lda: lda, weight: copy, beta: beta, c: c, ldc: ldc) }
        }
    }

    /// `batch` products C[i] = alpha · op(A[i]) · op(B[i]) + beta · C[i] of activations, the
    /// matrices `strideA`, `strideB`, `strideC` elements apart (e.g. the heads of a sequence,
    /// interleaved in [tokens, D] rows). One oneDNN call in the oneDNN modes; one `gemm` per
    /// matrix otherwise.
    public func batchedGemm(
        batch: Int,
        transA: Bool = false, transB: Bool = false,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int? = nil, strideA: Int,
        b: UnsafePointer<Float>, ldb: Int? = nil, strideB: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int? = nil, strideC: Int
    ) {
        if batch == 0 || m == 0 || n == 0 { return }
        switch mode {
        case .openBLAS, .bf16Reference:
            for i in 0 ..< batch {
                gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a + i * strideA, lda: lda,
                     b: b + i * strideB, ldb: ldb, beta: beta, c: c + i * strideC, ldc: ldc)
            }
        case .oneDNN(.f32):
            engineCall { try $0.batchedGemm(batch: batch, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                                            a: a, lda: lda, strideA: strideA, b: b, ldb: ldb, strideB: strideB,
                                            beta: beta, c: c, ldc: ldc, strideC: strideC) }
        case .oneDNN(.bf16):
            let spanA = (batch - 1) * strideA + Self.span(rows: transA ? k : m, columns: transA ? m : k, ld: lda)
            let spanB = (batch - 1) * strideB + Self.span(rows: transB ? n : k, columns: transB ? k : n, ld: ldb)
            let a16 = converted(a, count: spanA, into: bf16A), b16 = converted(b, count: spanB, into: bf16B)
            engineCall { try $0.batchedGemm(batch: batch, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                                            a: a16, lda: lda, strideA: strideA, b: b16, ldb: ldb, strideB: strideB,
                                            beta: beta, c: c, ldc: ldc, strideC: strideC) }
        }
    }

    /// Two scratch buffers of `count` floats each for the batched attention path (contents
    /// undefined; valid until the next call).
    func headScratch(count: Int) -> (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) {
        (headScratchA.pointer(count: count), headScratchB.pointer(count: count))
    }

    // MARK: - Internals

    /// Elements a stored operand spans: every stored row but the last a full leading dimension.
    private static func span(rows: Int, columns: Int, ld: Int?) -> Int {
        rows == 0 ? 0 : (rows - 1) * (ld ?? max(1, columns)) + columns
    }

    /// The copy of `registered` for `use`, created on first use and rewritten when stale.
    private func current(_ registered: RegisteredWeight, use: DNNLPreparedWeight.Use, master: UnsafePointer<Float>,
                         type: MatmulDataType, engine: DNNLMatmul) -> DNNLPreparedWeight {
        let slot = use == .forward ? 0 : 1
        let lastChange = registered.trainable ? lastChangeOfTrainable : lastChangeOfAll
        if let copy = registered.copies[slot], registered.refreshedAt[slot] >= lastChange { return copy }
        let copy = registered.copies[slot] ?? engineResult {
            try $0.prepareWeight(outFeatures: registered.outFeatures, inFeatures: registered.inFeatures, use: use,
                                 dataType: type, tokens: preparedTokens)
        }
        engineCall { try $0.refresh(copy, from: master) }
        registered.copies[slot] = copy
        registered.refreshedAt[slot] = clock
        weightRefreshes += 1
        return copy
    }

    private func rounded(_ source: UnsafePointer<Float>, count: Int, into buffer: GrowableBuffer<Float>) -> UnsafePointer<Float> {
        let target = buffer.pointer(count: count)
        for i in 0 ..< count { target[i] = source[i].roundedToBFloat16 }
        return UnsafePointer(target)
    }

    private func converted(_ source: UnsafePointer<Float>, count: Int,
                           into buffer: GrowableBuffer<BFloat16>) -> UnsafePointer<BFloat16> {
        let target = buffer.pointer(count: count)
        BFloat16Conversion.round(source, to: target, count: count)
        return UnsafePointer(target)
    }

    /// Runs a oneDNN call. The mode's data type was checked at init, so a failure here is a bug
    /// (or an exhausted machine): stop with oneDNN's message.
    private func engineCall(_ body: (DNNLMatmul) throws -> Void) {
        engineResult(body)
    }

    @discardableResult
    private func engineResult<Result>(_ body: (DNNLMatmul) throws -> Result) -> Result {
        do { return try body(dnnl!) } catch { fatalError("matrix product on \(mode): \(error)") }
    }
}

/// A weight the model registered: its shape and its prepared copies (forward, input gradient).
private final class RegisteredWeight {
    let outFeatures: Int, inFeatures: Int
    let trainable: Bool
    var copies: [DNNLPreparedWeight?] = [nil, nil]
    /// `MatrixProducts.clock` at each copy's last refresh.
    var refreshedAt = [-1, -1]

    init(outFeatures: Int, inFeatures: Int, trainable: Bool) {
        self.outFeatures = outFeatures
        self.inFeatures = inFeatures
        self.trainable = trainable
    }
}

/// A buffer of a trivial type (Float, BFloat16) that grows to the largest count asked for and
/// keeps its memory.
private final class GrowableBuffer<Element> {
    private var storage: UnsafeMutablePointer<Element>?
    private var capacity = 0

    /// At least `count` elements: zero when new, else what the last user left.
    func pointer(count: Int) -> UnsafeMutablePointer<Element> {
        if let storage, count <= capacity { return storage }
        storage?.deallocate()
        capacity = max(count, 1)
        let bytes = capacity * MemoryLayout<Element>.stride
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        let typed = raw.bindMemory(to: Element.self, capacity: capacity)
        storage = typed
        return typed
    }

    deinit { storage?.deallocate() }
}
