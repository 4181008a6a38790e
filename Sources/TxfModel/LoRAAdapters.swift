import TxfCore

/// One adapted dense layer: pointers to its A and B (parameters, and gradients when trained)
/// and the activations its backward needs.
struct LoRASlot {
    let target: LoRATarget
    let inFeatures: Int, outFeatures: Int
    let site: UInt64
    let a, b: UnsafeMutablePointer<Float>       // [r, in], [out, r]
    let dA, dB: UnsafeMutablePointer<Float>?    // same shapes, nil when frozen
    let dropped: UnsafeMutablePointer<Float>    // [T, in] dropout(x) (only with adapter dropout)
    let mask: UnsafeMutablePointer<UInt8>       // [T, in] keep bytes
    let u: UnsafeMutablePointer<Float>          // [T, r] dropout(x)·Aᵀ
}

/// The LoRA adapters of a `BertClassifier` and their activations (allocated once for the
/// model's largest micro-batch), with forward and backward of the low-rank branch:
///
///     xd = dropout(x)          (adapter's own mask, site `LoRAConfig.dropoutSite`)
///     u  = xd·Aᵀ               [T, r]
///     y += s · u·Bᵀ            s = alpha / r, y the base layer's output [T, out]
///
/// The base layer's own forward and backward stay `Linear`'s; with W frozen its backward
/// computes only the input gradient.
final class LoRAAdapters {
    let config: LoRAConfig
    /// [layer][target index in LoRATarget.allCases], nil where not adapted.
    private(set) var slots: [[LoRASlot?]] = []
    private let floats: FloatBuffer
    private let bytes: UnsafeMutablePointer<UInt8>
    /// [T, r] scratch for du.
    private let du: UnsafeMutablePointer<Float>
    /// The model's engine (A and B are registered there as [out, in] weights).
    private let products: MatrixProducts

    init(config: LoRAConfig, model: ModelConfig, maxTokens t: Int, products: MatrixProducts,
         param: (String) -> UnsafeMutablePointer<Float>, grad: (String) -> UnsafeMutablePointer<Float>?) {
        self.config = config
        self.products = products
        let r = config.rank
        let withDropout = config.dropout > 0
        var floatCount = t * r, byteCount = 0
        for _ in 0 ..< model.numHiddenLayers {
            for target in config.targets {
                let inF = target.shape(model).in
                floatCount += t * r + (withDropout ? t * inF : 0)
                byteCount += withDropout ? t * inF : 0
            }
        }
        floats = FloatBuffer(count: floatCount)
        bytes = .allocate(capacity: max(byteCount, 1))
        bytes.initialize(repeating: 0, count: max(byteCount, 1))
        var fc = Carver(floats.pointer), bc = Carver(bytes)
        du = fc.take(t * r)
        for layer in 0 ..< model.numHiddenLayers {
            var row = [LoRASlot?](repeating: nil, count: LoRATarget.allCases.count)
            for target in config.targets {
                let (out, inF) = target.shape(model)
                let (aName, bName) = target.adapterNames(layer: layer)
                row[target.index] = LoRASlot(
                    target: target, inFeatures: inF, outFeatures: out,
                    site: LoRAConfig.dropoutSite(layer: layer, target: target),
                    a: param(aName), b: param(bName), dA: grad(aName), dB: grad(bName),
                    dropped: withDropout ? fc.take(t * inF) : floats.pointer,
                    mask: withDropout ? bc.take(t * inF) : bytes,
                    u: fc.take(t * r))
            }
            slots.append(row)
        }
        precondition(fc.used == floatCount && bc.used == byteCount, "LoRA activation layout out of sync")
    }

    deinit { bytes.deallocate() }

    /// Bytes of activation buffers held.
    var memoryBytes: Int { floats.count * 4 }

    /// The adapter on `target` of block `layer`, if any.
    @inline(__always)
    func slot(_ layer: Int, _ target: LoRATarget) -> LoRASlot? { slots[layer][target.index] }

    /// Whether this pass drops adapter inputs (training with adapter dropout).
    @inline(__always)
    func drops(_ sh: PassShape) -> Bool { sh.dropout != nil && config.dropout > 0 }

    /// y[T, out] += s · dropout(x)·Aᵀ·Bᵀ for x: [T, in] (rows of sample b at b·S ..< b·S + S).
    /// Dropout counters are `position · in + feature` within the sample, keyed by (seed, step,
    /// sample index in the global batch, site); padded rows of the dropped input are zero.
    func forward(_ slot: LoRASlot, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                 lengths: UnsafePointer<Int>, samples: UnsafePointer<Int>, _ sh: PassShape) {
        let t = sh.tokens, r = config.rank, inF = slot.inFeatures
        var input = x
        if drops(sh), let stream = sh.dropout {
            let p = Float(config.dropout), s = sh.seqLen
            for b in 0 ..< sh.batch {
                let len = lengths[b], row = b * s * inF
                let key = stream.key(sample: samples[b], site: slot.site)
                Dropout.forward(x: x + row, y: slot.dropped + row, mask: slot.mask + row, count: len * inF, p: p,
                                key: key, counter: 0)
                (slot.dropped + row + len * inF).update(repeating: 0, count: (s - len) * inF)
                (slot.mask + row + len * inF).update(repeating: 0, count: (s - len) * inF)
            }
            input = UnsafePointer(slot.dropped)
        }
        // u = xd·Aᵀ
        products.gemm(transB: true, m: t, n: r, k: inF, a: input, weight: slot.a, c: slot.u)
        // y += s · u·Bᵀ
        products.gemm(transB: true, m: t, n: slot.outFeatures, k: r, alpha: config.scale, a: slot.u, weight: slot.b,
                      beta: 1, c: y)
    }

    /// Differentiates the branch for upstream dy: [T, out], adding into dB, dA (when trained) and
    /// dx: [T, in] when given (the base layer has written or accumulated its own part already;
    /// nil when nothing below needs it).
    ///
    ///     y += s·u·Bᵀ   ->  dB += s·dyᵀ·u,  du = s·dy·B
    ///     u = xd·Aᵀ     ->  dA += duᵀ·xd,   dxd = du·A
    ///     xd = drop(x)  ->  dx += dxd · keep / (1 − p)
    func backward(_ slot: LoRASlot, dy: UnsafePointer<Float>, x: UnsafePointer<Float>,
                  dx: UnsafeMutablePointer<Float>?, _ sh: PassShape) {
        let t = sh.tokens, r = config.rank, inF = slot.inFeatures, out = slot.outFeatures
        let s = config.scale
        let dropped = drops(sh)
        let input = dropped ? UnsafePointer(slot.dropped) : x
        if let dB = slot.dB {
            products.gemm(transA: true, m: out, n: r, k: t, alpha: s, a: dy, b: slot.u, beta: 1, c: dB)
        }
        products.gemm(transB: false, m: t, n: r, k: out, alpha: s, a: dy, weight: slot.b, c: du)
        if let dA = slot.dA {
            products.gemm(transA: true, m: r, n: inF, k: t, a: du, b: input, beta: 1, c: dA)
        }
        guard let dx else { return }
        if dropped {
            // dxd = du·A, written over the dropped input (no longer needed), then masked into dx.
            products.gemm(transB: false, m: t, n: inF, k: r, a: du, weight: slot.a, c: slot.dropped)
            let keep = 1 / (1 - Float(config.dropout))
            for i in 0 ..< t * inF where slot.mask[i] != 0 { dx[i] += slot.dropped[i] * keep }
        } else {
            products.gemm(transB: false, m: t, n: inF, k: r, a: du, weight: slot.a, beta: 1, c: dx)
        }
    }
}
