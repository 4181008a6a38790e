import TxfCore

/// Hands out consecutive pieces of one allocation; the owner checks the total at the end.
struct Carver<Element> {
    let base: UnsafeMutablePointer<Element>
    private(set) var used = 0
    init(_ base: UnsafeMutablePointer<Element>) { self.base = base }
    mutating func take(_ count: Int) -> UnsafeMutablePointer<Element> {
        defer { used += count }
        return base + used
    }
}

/// What one encoder block keeps from forward for backward, each sized for the largest
/// micro-batch (T = maxBatch·maxSeqLen tokens); a smaller micro-batch uses the leading part.
struct BlockActivations {
    var q, k, v: UnsafeMutablePointer<Float>        // [T, D] each
    var probs: UnsafeMutablePointer<Float>          // [B, H, S, S] attention probabilities P
    var ctx: UnsafeMutablePointer<Float>            // [T, D] attention context (heads concatenated)
    var attnResidual: UnsafeMutablePointer<Float>   // [T, D] x + dropout(ctx·Woᵀ + bo), LN1 input
    var ln1: UnsafeMutablePointer<Float>            // [T, D] LN1 output
    var ln1Mean, ln1Rstd: UnsafeMutablePointer<Float>  // [T]
    var ffnPre: UnsafeMutablePointer<Float>         // [T, F] ln1·Wiᵀ + bi (GELU input)
    var ffnAct: UnsafeMutablePointer<Float>         // [T, F] GELU output
    var ffnResidual: UnsafeMutablePointer<Float>    // [T, D] ln1 + dropout(ffnAct·Wo2ᵀ + bo2), LN2 input
    var out: UnsafeMutablePointer<Float>            // [T, D] LN2 output = block output
    var ln2Mean, ln2Rstd: UnsafeMutablePointer<Float>  // [T]
    var probsMask: UnsafeMutablePointer<UInt8>      // [B, H, S, S] dropout keep bytes
    var attnMask, ffnMask: UnsafeMutablePointer<UInt8>  // [T, D] dropout keep bytes
}

/// Every activation, activation gradient and input buffer of the model, allocated once for
/// `maxBatch × maxSeqLen` tokens: three allocations (floats, mask bytes, inputs), no allocation
/// inside a step.
final class Activations {
    let maxBatch: Int, maxSeqLen: Int
    private let floats: FloatBuffer
    private let bytes: UnsafeMutablePointer<UInt8>
    private let byteCount: Int

    // MARK: - Inputs (copied from the MicroBatch)
    let tokens: UnsafeMutablePointer<Int32>     // [B, S]
    let types: UnsafeMutablePointer<Int32>      // [B, S]
    let labels: UnsafeMutablePointer<Int32>     // [B]
    let targets: UnsafeMutablePointer<Float>    // [B] regression targets
    let lengths: UnsafeMutablePointer<Int>      // [B]
    let samples: UnsafeMutablePointer<Int>      // [B] index within the global batch
    let keys: UnsafeMutablePointer<RandomKey>   // [B] dropout key of the current site per sample
    let ones: UnsafeMutablePointer<Int>         // [B] all 1: lengths of the [CLS]-only rows

    // MARK: - Forward
    let embSum: UnsafeMutablePointer<Float>     // [T, D] word + position + type (LN0 input)
    let embOut: UnsafeMutablePointer<Float>     // [T, D] dropout(LN0(embSum)), block 0 input
    let embMean, embRstd: UnsafeMutablePointer<Float>  // [T]
    let embMask: UnsafeMutablePointer<UInt8>    // [T, D]
    let blocks: [BlockActivations]
    let clsInput: UnsafeMutablePointer<Float>   // [B, D] last block's input at [CLS] (CLS-only block)
    let poolerInput: UnsafeMutablePointer<Float> // [B, D] last hidden state at [CLS], or its mean (`Pooling`)
    let pooled: UnsafeMutablePointer<Float>     // [B, D] tanh(pooler)
    let pooledDrop: UnsafeMutablePointer<Float> // [B, D] dropout(pooled), classifier input
    let pooledMask: UnsafeMutablePointer<UInt8> // [B, D]
    let logits, probs: UnsafeMutablePointer<Float>  // [B, L]
    let losses: UnsafeMutablePointer<Float>     // [B]

    // MARK: - Backward scratch
    let dHidden, dResidual, dBranch, dCtx, dq, dk, dv: UnsafeMutablePointer<Float>  // [T, D] each
    let dFfn: UnsafeMutablePointer<Float>       // [T, F]
    let dPooled, dPoolerInput: UnsafeMutablePointer<Float>  // [B, D]
    let dLogits: UnsafeMutablePointer<Float>    // [B, L]
    let scratchA, scratchB: UnsafeMutablePointer<Float>  // [S, S] per-head attention scratch

    init(config: ModelConfig, maxBatch b: Int, maxSeqLen s: Int) {
        maxBatch = b
        maxSeqLen = s
        let t = b * s, d = config.hiddenSize, f = config.intermediateSize
        let h = config.numAttentionHeads, l = config.numHiddenLayers, c = config.numLabels
        let perBlock = 8 * t * d + 2 * t * f + b * h * s * s + 4 * t
        let floatCount = 2 * t * d + 2 * t + l * perBlock + 4 * b * d + 2 * b * c + b
            + 7 * t * d + t * f + 2 * b * d + b * c + 2 * s * s
        byteCount = t * d + l * (b * h * s * s + 2 * t * d) + b * d
        floats = FloatBuffer(count: floatCount)
        bytes = .allocate(capacity: max(byteCount, 1))
        bytes.initialize(repeating: 0, count: max(byteCount, 1))
        tokens = .allocate(capacity: t); tokens.initialize(repeating: 0, count: t)
        types = .allocate(capacity: t); types.initialize(repeating: 0, count: t)
        labels = .allocate(capacity: b); labels.initialize(repeating: 0, count: b)
        targets = .allocate(capacity: b); targets.initialize(repeating: 0, count: b)
        lengths = .allocate(capacity: b); lengths.initialize(repeating: 0, count: b)
        samples = .allocate(capacity: b); samples.initialize(repeating: 0, count: b)
        keys = .allocate(capacity: b); keys.initialize(repeating: RandomKey(seed: 0), count: b)
        ones = .allocate(capacity: b); ones.initialize(repeating: 1, count: b)

        var fc = Carver(floats.pointer), bc = Carver(bytes)
        embSum = fc.take(t * d); embOut = fc.take(t * d)
        embMean = fc.take(t); embRstd = fc.take(t)
        embMask = bc.take(t * d)
        var blocks: [BlockActivations] = []
        for _ in 0 ..< l {
            blocks.append(BlockActivations(
                q: fc.take(t * d), k: fc.take(t * d), v: fc.take(t * d), probs: fc.take(b * h * s * s),
                ctx: fc.take(t * d), attnResidual: fc.take(t * d), ln1: fc.take(t * d),
                ln1Mean: fc.take(t), ln1Rstd: fc.take(t), ffnPre: fc.take(t * f), ffnAct: fc.take(t * f),
                ffnResidual: fc.take(t * d), out: fc.take(t * d), ln2Mean: fc.take(t), ln2Rstd: fc.take(t),
                probsMask: bc.take(b * h * s * s), attnMask: bc.take(t * d), ffnMask: bc.take(t * d)))
        }
        self.blocks = blocks
        clsInput = fc.take(b * d); poolerInput = fc.take(b * d); pooled = fc.take(b * d); pooledDrop = fc.take(b * d)
        pooledMask = bc.take(b * d)
        logits = fc.take(b * c); probs = fc.take(b * c); losses = fc.take(b)
        dHidden = fc.take(t * d); dResidual = fc.take(t * d); dBranch = fc.take(t * d); dCtx = fc.take(t * d)
        dq = fc.take(t * d); dk = fc.take(t * d); dv = fc.take(t * d)
        dFfn = fc.take(t * f)
        dPooled = fc.take(b * d); dPoolerInput = fc.take(b * d); dLogits = fc.take(b * c)
        scratchA = fc.take(s * s); scratchB = fc.take(s * s)
        precondition(fc.used == floatCount && bc.used == byteCount, "activation layout out of sync")
    }

    deinit {
        bytes.deallocate()
        tokens.deallocate(); types.deallocate(); labels.deallocate(); targets.deallocate(); lengths.deallocate(); samples.deallocate(); keys.deallocate()
        ones.deallocate()
    }

    /// Whether the last encoder block computes only the [CLS] rows (see `EncoderBlock+CLS.swift`);
    /// the model sets it from its pooling.
    var lastBlockCLSOnly = true

    /// Bytes held (floats and masks), for reports.
    var memoryBytes: Int { floats.count * 4 + byteCount }
}
