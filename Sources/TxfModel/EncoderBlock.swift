import TxfCore

/// Pointers to one tensor set of an encoder block, into the parameter buffer (all present) or
/// into the gradient buffer (nil for frozen tensors).
struct BlockTensors {
    var query, queryBias, key, keyBias, value, valueBias: UnsafeMutablePointer<Float>?
    var attnOut, attnOutBias, ln1Gamma, ln1Beta: UnsafeMutablePointer<Float>?
    var inter, interBias, out, outBias, ln2Gamma, ln2Beta: UnsafeMutablePointer<Float>?

    /// Resolves `encoder.layer.<layer>.*` through `resolve` (parameter or gradient pointer).
    init(layer: Int, _ resolve: (String) -> UnsafeMutablePointer<Float>?) {
        let p = "encoder.layer.\(layer)."
        query = resolve(p + "attention.self.query.weight"); queryBias = resolve(p + "attention.self.query.bias")
        key = resolve(p + "attention.self.key.weight"); keyBias = resolve(p + "attention.self.key.bias")
        value = resolve(p + "attention.self.value.weight"); valueBias = resolve(p + "attention.self.value.bias")
        attnOut = resolve(p + "attention.output.dense.weight"); attnOutBias = resolve(p + "attention.output.dense.bias")
        ln1Gamma = resolve(p + "attention.output.LayerNorm.weight"); ln1Beta = resolve(p + "attention.output.LayerNorm.bias")
        inter = resolve(p + "intermediate.dense.weight"); interBias = resolve(p + "intermediate.dense.bias")
        out = resolve(p + "output.dense.weight"); outBias = resolve(p + "output.dense.bias")
        ln2Gamma = resolve(p + "output.LayerNorm.weight"); ln2Beta = resolve(p + "output.LayerNorm.bias")
    }
}

/// Shapes and dropout settings of one pass, shared by every block.
struct PassShape {
    var batch: Int, seqLen: Int, dim: Int, ffn: Int, heads: Int, maxPositions: Int
    var eps: Float
    var hiddenP: Float, attentionP: Float
    /// nil in eval mode or when both probabilities are 0.
    var dropout: DropoutStream?
    var tokens: Int { batch * seqLen }
}

extension BertClassifier {
    /// Sets `acts.keys[b]` to the dropout key of `site` for every sample of the micro-batch.
    func prepareKeys(_ stream: DropoutStream, site: UInt64, batch: Int) {
        for b in 0 ..< batch { acts.keys[b] = stream.key(sample: acts.samples[b], site: site) }
    }

    /// Hidden-state dropout in place on x: [T, D], real rows per sample only; padded rows are
    /// zeroed (mask 0) so backward can run over all rows. Counter = position · D + feature.
    func dropoutHidden(_ x: UnsafeMutablePointer<Float>, mask: UnsafeMutablePointer<UInt8>,
                       site: UInt64, _ shape: PassShape) {
        guard let stream = shape.dropout, shape.hiddenP > 0 else { return }
        let s = shape.seqLen, d = shape.dim
        for b in 0 ..< shape.batch {
            let len = acts.lengths[b], row = b * s * d
            let key = stream.key(sample: acts.samples[b], site: site)
            Dropout.forward(x: x + row, y: x + row, mask: mask + row, count: len * d, p: shape.hiddenP, key: key, counter: 0)
            (x + row + len * d).update(repeating: 0, count: (s - len) * d)
            (mask + row + len * d).update(repeating: 0, count: (s - len) * d)
        }
    }

    /// Forward of block `layer`: x: [T, D] -> a.out: [T, D].
    ///
    ///     q, k, v = x·Wqᵀ+bq, x·Wkᵀ+bk, x·Wvᵀ+bv
    ///     ctx     = attention(q, k, v)
    ///     r1      = x + dropout(ctx·Woᵀ + bo);        ln1 = LN1(r1)
    ///     u       = ln1·Wiᵀ + bi;  g = gelu(u)
    ///     r2      = ln1 + dropout(g·Wo2ᵀ + bo2);      out = LN2(r2)
    func blockForward(_ layer: Int, x: UnsafePointer<Float>, _ sh: PassShape) {
        let w = blockParams[layer], a = acts.blocks[layer]
        let t = sh.tokens, d = sh.dim
        Linear.forward(x: x, weight: w.query!, bias: w.queryBias!, y: a.q, tokens: t, inFeatures: d, outFeatures: d, products: products)
        loraForward(layer, .query, x: x, y: a.q, sh)
        projectKeysValues(layer, x: x, sh)
        Attention.forward(q: a.q, k: a.k, v: a.v, ctx: a.ctx, probs: a.probs, mask: a.probsMask,
                          keys: attentionDropoutKeys(layer, sh),
                          dropoutP: sh.attentionP, positionStride: sh.maxPositions, scratch: acts.scratchA,
                          lengths: acts.lengths, batch: sh.batch, seqLen: sh.seqLen, heads: sh.heads,
                          headSize: d / sh.heads, products: products)
        forwardFromContext(layer, residual: x, rows: t, sh,
                           lora: { target, x, y in loraForward(layer, target, x: x, y: y, sh) },
                           dropout: { x, mask, site in dropoutHidden(x, mask: mask, site: site, sh) })
    }

    /// k, v = x·Wkᵀ + bk, x·Wvᵀ + bv over every token: x: [T, D] -> a.k, a.v: [T, D] (the full
    /// and the [CLS]-only block both attend over every position).
    func projectKeysValues(_ layer: Int, x: UnsafePointer<Float>, _ sh: PassShape) {
        let w = blockParams[layer], a = acts.blocks[layer]
        let t = sh.tokens, d = sh.dim
        Linear.forward(x: x, weight: w.key!, bias: w.keyBias!, y: a.k, tokens: t, inFeatures: d, outFeatures: d, products: products)
        loraForward(layer, .key, x: x, y: a.k, sh)
        Linear.forward(x: x, weight: w.value!, bias: w.valueBias!, y: a.v, tokens: t, inFeatures: d, outFeatures: d, products: products)
        loraForward(layer, .value, x: x, y: a.v, sh)
    }

    /// Per-sample dropout keys of block `layer`'s attention probabilities (in acts.keys), or
    /// nil when that dropout is off.
    func attentionDropoutKeys(_ layer: Int, _ sh: PassShape) -> UnsafePointer<RandomKey>? {
        guard let stream = sh.dropout, sh.attentionP > 0 else { return nil }
        prepareKeys(stream, site: DropoutSite.attentionProbs(layer), batch: sh.batch)
        return UnsafePointer(acts.keys)
    }

    /// The block from attention's context on, over `rows` rows of a.ctx (every token, or one
    /// [CLS] row per sample in `blockForwardCLS`), each pass bringing its own LoRA branch and
    /// hidden-state dropout for those rows:
    ///
    ///     r1 = residual + dropout(ctx·Woᵀ + bo);   ln1 = LN1(r1)
    ///     r2 = ln1 + dropout(gelu(ln1·Wiᵀ + bi)·Wo2ᵀ + bo2);   out = LN2(r2)
    ///
    /// residual: [rows, D] (the block's input at those rows) -> a.out: [rows, D].
    func forwardFromContext(
        _ layer: Int, residual: UnsafePointer<Float>, rows: Int, _ sh: PassShape,
        lora: (LoRATarget, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void,
        dropout: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<UInt8>, UInt64) -> Void
    ) {
        let w = blockParams[layer], a = acts.blocks[layer]
        let d = sh.dim, f = sh.ffn
        Linear.forward(x: a.ctx, weight: w.attnOut!, bias: w.attnOutBias!, y: a.attnResidual, tokens: rows, inFeatures: d, outFeatures: d, products: products)
        lora(.attentionOutput, a.ctx, a.attnResidual)
        dropout(a.attnResidual, a.attnMask, DropoutSite.attentionOutput(layer))
        for i in 0 ..< rows * d { a.attnResidual[i] += residual[i] }
        LayerNorm.forward(x: a.attnResidual, gamma: w.ln1Gamma!, beta: w.ln1Beta!, y: a.ln1, mean: a.ln1Mean,
                          rstd: a.ln1Rstd, rows: rows, dim: d, eps: sh.eps)
        Linear.forward(x: a.ln1, weight: w.inter!, bias: w.interBias!, y: a.ffnPre, tokens: rows, inFeatures: d, outFeatures: f, products: products)
        lora(.intermediate, a.ln1, a.ffnPre)
        GELU.forward(x: a.ffnPre, y: a.ffnAct, count: rows * f)
        Linear.forward(x: a.ffnAct, weight: w.out!, bias: w.outBias!, y: a.ffnResidual, tokens: rows, inFeatures: f, outFeatures: d, products: products)
        lora(.output, a.ffnAct, a.ffnResidual)
        dropout(a.ffnResidual, a.ffnMask, DropoutSite.ffnOutput(layer))
        for i in 0 ..< rows * d { a.ffnResidual[i] += a.ln1[i] }
        LayerNorm.forward(x: a.ffnResidual, gamma: w.ln2Gamma!, beta: w.ln2Beta!, y: a.out, mean: a.ln2Mean,
                          rstd: a.ln2Rstd, rows: rows, dim: d, eps: sh.eps)
    }

    /// Backward of block `layer`, in exact reverse order of `blockForward`.
    /// On entry acts.dHidden holds d(out): [T, D]; on exit it holds d(x): [T, D].
    /// Parameter gradients are added into the gradient buffer (frozen tensors skipped).
    func blockBackward(_ layer: Int, x: UnsafePointer<Float>, _ sh: PassShape) {
        let w = blockParams[layer], g = blockGrads[layer], a = acts.blocks[layer]
        let t = sh.tokens, d = sh.dim
        backwardToContext(layer, rows: t, loraShape: sh, sh)
        let dRes = acts.dResidual
        // ctx = attention(q, k, v)
        let dropProbs = sh.dropout != nil && sh.attentionP > 0
        Attention.backward(dctx: acts.dCtx, q: a.q, k: a.k, v: a.v, probs: a.probs,
                           mask: dropProbs ? UnsafePointer(a.probsMask) : nil, dropoutP: sh.attentionP,
                           dq: acts.dq, dk: acts.dk, dv: acts.dv, scratchA: acts.scratchA, scratchB: acts.scratchB,
                           lengths: acts.lengths, batch: sh.batch, seqLen: sh.seqLen, heads: sh.heads, headSize: d / sh.heads, products: products)
        // q, k, v = x·Wᵀ + b: d(x) = d(r1) (residual) + dq·Wq + dk·Wk + dv·Wv
        // (block 0 under frozen embeddings: nothing below needs d(x), so only weight gradients)
        acts.dHidden.update(from: dRes, count: t * d)
        let dx = layer > 0 || embeddingsTrainable ? acts.dHidden : nil
        Linear.backward(dy: acts.dq, x: x, weight: w.query!, dx: dx, accumulateInput: true,
                        dWeight: g.query, dBias: g.queryBias, tokens: t, inFeatures: d, outFeatures: d, products: products)
        loraBackward(layer, .query, dy: acts.dq, x: x, dx: dx, sh)
        Linear.backward(dy: acts.dk, x: x, weight: w.key!, dx: dx, accumulateInput: true,
                        dWeight: g.key, dBias: g.keyBias, tokens: t, inFeatures: d, outFeatures: d, products: products)
        loraBackward(layer, .key, dy: acts.dk, x: x, dx: dx, sh)
        Linear.backward(dy: acts.dv, x: x, weight: w.value!, dx: dx, accumulateInput: true,
                        dWeight: g.value, dBias: g.valueBias, tokens: t, inFeatures: d, outFeatures: d, products: products)
        loraBackward(layer, .value, dy: acts.dv, x: x, dx: dx, sh)
    }

    /// Backward from a block's output down to d(ctx), shared by `blockBackward` and
    /// `blockBackwardCLS`: LN2, the FFN, LN1 and the attention output projection over `rows`
    /// rows (every token, or one [CLS] row per sequence). On entry acts.dHidden holds d(out):
    /// [rows, D]; on exit acts.dResidual holds d(r1) and acts.dCtx holds d(ctx): [rows, D].
    func backwardToContext(_ layer: Int, rows: Int, loraShape: PassShape, _ sh: PassShape) {
        let w = blockParams[layer], g = blockGrads[layer], a = acts.blocks[layer]
        let d = sh.dim, f = sh.ffn
        let dropHidden = sh.dropout != nil && sh.hiddenP > 0
        let dRes = acts.dResidual, dBranch = acts.dBranch
        // out = LN2(r2)
        LayerNorm.backward(dy: acts.dHidden, x: a.ffnResidual, gamma: w.ln2Gamma!, mean: a.ln2Mean, rstd: a.ln2Rstd,
                           dx: dRes, dGamma: g.ln2Gamma, dBeta: g.ln2Beta, rows: rows, dim: d)
        // r2 = ln1 + dropout(g·Wo2ᵀ + bo2): dRes stays d(ln1) (residual), dBranch = d(ffn out)
        var dFfnOut = UnsafePointer(dRes)
        if dropHidden {
            Dropout.backward(dy: dRes, mask: a.ffnMask, dx: dBranch, count: rows * d, p: sh.hiddenP)
            dFfnOut = UnsafePointer(dBranch)
        }
        Linear.backward(dy: dFfnOut, x: a.ffnAct, weight: w.out!, dx: acts.dFfn, dWeight: g.out, dBias: g.outBias,
                        tokens: rows, inFeatures: f, outFeatures: d, products: products)
        loraBackward(layer, .output, dy: dFfnOut, x: a.ffnAct, dx: acts.dFfn, loraShape)
        // g = gelu(u)
        GELU.backward(dy: acts.dFfn, x: a.ffnPre, dx: acts.dFfn, count: rows * f)
        // u = ln1·Wiᵀ + bi (adds to the residual's d(ln1))
        Linear.backward(dy: acts.dFfn, x: a.ln1, weight: w.inter!, dx: dRes, accumulateInput: true,
                        dWeight: g.inter, dBias: g.interBias, tokens: rows, inFeatures: d, outFeatures: f, products: products)
        loraBackward(layer, .intermediate, dy: acts.dFfn, x: a.ln1, dx: dRes, loraShape)
        // ln1 = LN1(r1) (in place: dRes becomes d(r1))
        LayerNorm.backward(dy: dRes, x: a.attnResidual, gamma: w.ln1Gamma!, mean: a.ln1Mean, rstd: a.ln1Rstd,
                           dx: dRes, dGamma: g.ln1Gamma, dBeta: g.ln1Beta, rows: rows, dim: d)
        // r1 = x + dropout(ctx·Woᵀ + bo)
        var dAttnOut = UnsafePointer(dRes)
        if dropHidden {
            Dropout.backward(dy: dRes, mask: a.attnMask, dx: dBranch, count: rows * d, p: sh.hiddenP)
            dAttnOut = UnsafePointer(dBranch)
        }
        Linear.backward(dy: dAttnOut, x: a.ctx, weight: w.attnOut!, dx: acts.dCtx, dWeight: g.attnOut, dBias: g.attnOutBias,
                        tokens: rows, inFeatures: d, outFeatures: d, products: products)
        loraBackward(layer, .attentionOutput, dy: dAttnOut, x: a.ctx, dx: acts.dCtx, loraShape)
    }

}
