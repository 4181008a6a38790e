import TxfCore

/// BERT's masked-language-model head (Hugging Face's `BertOnlyMLMHead`) over the M picked
/// positions of a micro-batch (`TokenMasking`), its decoder tied to the word embeddings E:
///
///     x_i = h[position_i]                          [M, D]   last hidden states at the picks
///     u   = gelu(x · W_tᵀ + b_t);   y = LN(u)      [M, D]   cls.predictions.transform
///     z   = y · Eᵀ + b                             [M, V]   decoder (E tied), cls.predictions.bias
///     loss = Σ_i logsumexp(z_i) − z_i[original_i]
///
/// The [M, V] logits are never held whole: forward and backward each compute them
/// `chunkRows` positions at a time (backward again, instead of storing M·V probabilities),
/// so the head's memory is a few [M, D] buffers and two [chunkRows, V] ones.
/// Buffers are allocated once for `maxTokens` positions (every token of the largest
/// micro-batch); a pass allocates nothing.
final class MaskedLMHead {
    /// Positions per logits chunk.
    static let chunkRows = 128
    /// The head's tensors, Hugging Face's names: the transform's dense layer [D, D] and [D] and
    /// LayerNorm [D] and [D], then the decoder's bias [V].
    static let transformWeight = "cls.predictions.transform.dense.weight"
    static let transformBias = "cls.predictions.transform.dense.bias"
    static let transformGamma = "cls.predictions.transform.LayerNorm.weight"
    static let transformBeta = "cls.predictions.transform.LayerNorm.bias"
    static let outputBias = "cls.predictions.bias"

    let maxTokens: Int, dim: Int, vocabSize: Int
    /// The picks of the current pass: token row (b · S + t) and original id of each, [M].
    private(set) var positions: [Int] = [], originals: [Int32] = []
    /// Of the last forward: picks whose arg-max logit is the original id.
    private(set) var correct = 0
    private let floats: FloatBuffer
    private let x, pre, act, y, mean, rstd, dY, dAct, dX, logits, probs, losses: UnsafeMutablePointer<Float>

    init(maxTokens: Int, dim: Int, vocabSize: Int) {
        self.maxTokens = maxTokens
        self.dim = dim
        self.vocabSize = vocabSize
        let chunk = Self.chunkRows
        floats = FloatBuffer(count: Self.floatCount(maxTokens: maxTokens, dim: dim, vocabSize: vocabSize))
        var next = floats.pointer
        func take(_ n: Int) -> UnsafeMutablePointer<Float> { defer { next += n }; return next }
        x = take(maxTokens * dim); pre = take(maxTokens * dim); act = take(maxTokens * dim); y = take(maxTokens * dim)
        dY = take(maxTokens * dim); dAct = take(maxTokens * dim); dX = take(maxTokens * dim)
        mean = take(maxTokens); rstd = take(maxTokens)
        logits = take(chunk * vocabSize); probs = take(chunk * vocabSize); losses = take(chunk)
        positions.reserveCapacity(maxTokens)
        originals.reserveCapacity(maxTokens)
    }

    /// Floats the head holds for `maxTokens` positions (`ModelConfig.memoryEstimate` counts the same).
    static func floatCount(maxTokens: Int, dim: Int, vocabSize: Int) -> Int {
        7 * maxTokens * dim + 2 * maxTokens + 2 * chunkRows * vocabSize + chunkRows
    }

    /// Bytes held, the picks' arrays included.
    var memoryBytes: Int { 4 * floats.count + 12 * maxTokens }

    /// Picks of the pass about to run: clears the last pass's.
    func beginPass() {
        positions.removeAll(keepingCapacity: true)
        originals.removeAll(keepingCapacity: true)
        correct = 0
    }

    /// Records a pick: token row `position` of the micro-batch, whose id was `original`.
    func pick(position: Int, original: Int32) {
        precondition(positions.count < maxTokens, "more picks than the head holds")
        positions.append(position)
        originals.append(original)
    }

    /// The head's tensors in the model's buffers; gradients nil when frozen.
    struct Tensors {
        let transform, transformBias, gamma, beta, word, bias: UnsafePointer<Float>
        let dTransform, dTransformBias, dGamma, dBeta, dWord, dBias: UnsafeMutablePointer<Float>?
    }

    /// hidden: [batch·seqLen, D] -> Σ over the picks of the cross-entropy (Double), and `correct`.
    /// No picks: 0.
    func forward(hidden: UnsafePointer<Float>, _ p: Tensors, eps: Float, products: MatrixProducts) -> Double {
        let m = positions.count, d = dim
        guard m > 0 else { return 0 }
        for (i, position) in positions.enumerated() {
            (x + i * d).update(from: hidden + position * d, count: d)
        }
        // u = gelu(x · W_tᵀ + b_t);  y = LN(u)
        Linear.forward(x: x, weight: p.transform, bias: p.transformBias, y: pre, tokens: m, inFeatures: d, outFeatures: d,
                       products: products)
        GELU.forward(x: pre, y: act, count: m * d)
        LayerNorm.forward(x: act, gamma: p.gamma, beta: p.beta, y: y, mean: mean, rstd: rstd, rows: m, dim: d, eps: eps)
        var total = 0.0
        forEachChunk(m) { start, rows, targets in
            total += chunkLogits(start: start, rows: rows, targets: targets, p, products: products)
            for r in 0 ..< rows {
                let z = logits + r * vocabSize
                var best = 0
                for c in 1 ..< vocabSize where z[c] > z[best] { best = c }
                if Int32(best) == targets[r] { correct += 1 }
            }
        }
        return total
    }

    /// Differentiates `scale · loss` of the last forward: adds into the head's gradients and
    /// the word-embedding gradient (every row: the decoder reads all of E) and writes the
    /// gradient of the last hidden states into `dHidden` [batch·seqLen, D] (zero off the picks).
    func backward(scale: Float, _ p: Tensors, dHidden: UnsafeMutablePointer<Float>, tokens: Int,
                  products: MatrixProducts) {
        let m = positions.count, d = dim
        dHidden.update(repeating: 0, count: tokens * d)
        guard m > 0 else { return }
        // z = y · Eᵀ + b, chunk by chunk: dz = scale · (softmax(z) − onehot)
        forEachChunk(m) { start, rows, targets in
            _ = chunkLogits(start: start, rows: rows, targets: targets, p, products: products)
            CrossEntropy.backward(probs: probs, labels: targets, dlogits: logits, scale: scale, batch: rows,
                                  classes: vocabSize)
            Linear.backward(dy: logits, x: y + start * d, weight: p.word, dx: dY + start * d, dWeight: p.dWord,
                            dBias: p.dBias, tokens: rows, inFeatures: d, outFeatures: vocabSize, products: products)
        }
        // y = LN(u);  u = gelu(pre)
        LayerNorm.backward(dy: dY, x: act, gamma: p.gamma, mean: mean, rstd: rstd, dx: dAct, dGamma: p.dGamma,
                           dBeta: p.dBeta, rows: m, dim: d)
        GELU.backward(dy: dAct, x: pre, dx: dAct, count: m * d)
        // pre = x · W_tᵀ + b_t
        Linear.backward(dy: dAct, x: x, weight: p.transform, dx: dX, dWeight: p.dTransform, dBias: p.dTransformBias,
                        tokens: m, inFeatures: d, outFeatures: d, products: products)
        for (i, position) in positions.enumerated() {
            let row = dHidden + position * d, g = dX + i * d
            for j in 0 ..< d { row[j] += g[j] }
        }
    }

    /// Logits of picks `start ..< start + rows` (original ids `targets`) into `logits`, their
    /// softmax into `probs`; returns their summed cross-entropy.
    private func chunkLogits(start: Int, rows: Int, targets: UnsafePointer<Int32>, _ p: Tensors,
                             products: MatrixProducts) -> Double {
        Linear.forward(x: y + start * dim, weight: p.word, bias: p.bias, y: logits, tokens: rows, inFeatures: dim,
                       outFeatures: vocabSize, products: products)
        return CrossEntropy.forward(logits: logits, labels: targets, probs: probs, losses: losses, batch: rows,
                                    classes: vocabSize)
    }

    /// Calls `body(start, rows, originals of those picks)` for each chunk of the `m` picks.
    private func forEachChunk(_ m: Int, _ body: (Int, Int, UnsafePointer<Int32>) -> Void) {
        originals.withUnsafeBufferPointer { originals in
            for start in stride(from: 0, to: m, by: Self.chunkRows) {
                body(start, min(Self.chunkRows, m - start), originals.baseAddress! + start)
            }
        }
    }
}
