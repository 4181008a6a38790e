import TxfCore

/// The last encoder block for [CLS] only.
///
/// Only [CLS] of the last block's output reaches the pooler, so that block needs keys and
/// values at every position but its query, attention output, LayerNorms and FFN at position 0
/// only: per token it runs 2·D² of the block's 4·D² + 2·D·F multiply weights (MiniLM: 14% of
/// a step's matmul FLOPs saved, and the block's GELU, LayerNorm and dropout work). The result is
/// the full block's output at [CLS] — same formula, same dropout masks (every counter is keyed
/// by position and feature, and position 0 is position 0) — up to summation order.
///
/// Rows of the compact pass are samples: the block's q, ctx, attnResidual, ln1, ffnPre, ffnAct,
/// ffnResidual and out buffers hold [B, D] (or [B, F]) in their leading part, probs and its
/// mask [B, H, S]. `PassShape` with seqLen 1 describes it to Linear, LayerNorm and LoRA.
extension BertClassifier {
    /// Whether the last block computes only the [CLS] rows (default: when the model pools
    /// [CLS]; mean pooling needs every row). Off runs the full block, as a reference for
    /// tests; logits and gradients agree up to rounding.
    public var lastBlockComputesCLSOnly: Bool {
        get { acts.lastBlockCLSOnly }
        set {
            precondition(!newValue || config.pooling == .cls, "a mean-pooled model needs the last block's every row")
            acts.lastBlockCLSOnly = newValue
        }
    }

    /// Rows per sample of the last block's output (1 when CLS-only, else the padded length).
    func lastBlockRowsPerSample(_ sh: PassShape) -> Int { acts.lastBlockCLSOnly ? 1 : sh.seqLen }

    /// The compact shape: one row (position 0) per sample.
    private func clsShape(_ sh: PassShape) -> PassShape {
        var c = sh
        c.seqLen = 1
        return c
    }

    /// Forward of block `layer` for [CLS] rows: x: [T, D] -> a.out: [B, D]. As `blockForward`,
    /// with q and everything after attention on the [CLS] rows xc = x[b, 0]:
    ///
    ///     k, v = x·Wkᵀ+bk, x·Wvᵀ+bv;   q = xc·Wqᵀ+bq
    ///     ctx  = attention of q over k, v (first query only)
    ///     r1   = xc + dropout(ctx·Woᵀ + bo);  ln1 = LN1(r1)
    ///     r2   = ln1 + dropout(gelu(ln1·Wiᵀ + bi)·Wo2ᵀ + bo2);  out = LN2(r2)
    func blockForwardCLS(_ layer: Int, x: UnsafePointer<Float>, _ sh: PassShape) {
        let w = blockParams[layer], a = acts.blocks[layer]
        let d = sh.dim, b = sh.batch, s = sh.seqLen
        let c = clsShape(sh)
        let xc = acts.clsInput
        for r in 0 ..< b { (xc + r * d).update(from: x + r * s * d, count: d) }
        projectKeysValues(layer, x: x, sh)
        Linear.forward(x: xc, weight: w.query!, bias: w.queryBias!, y: a.q, tokens: b, inFeatures: d, outFeatures: d, products: products)
        loraForwardCLS(layer, .query, x: xc, y: a.q, c)
        Attention.forwardFirstQuery(q: a.q, k: a.k, v: a.v, ctx: a.ctx, probs: a.probs, mask: a.probsMask,
                                    keys: attentionDropoutKeys(layer, sh), dropoutP: sh.attentionP, positionStride: sh.maxPositions,
                                    scratch: acts.scratchA, lengths: acts.lengths, batch: b, seqLen: s,
                                    heads: sh.heads, headSize: d / sh.heads)
        forwardFromContext(layer, residual: xc, rows: b, sh,
                           lora: { target, x, y in loraForwardCLS(layer, target, x: x, y: y, c) },
                           dropout: { x, mask, site in dropoutCLS(x, mask: mask, site: site, sh) })
    }

    /// Backward of `blockForwardCLS`, in exact reverse order. On entry acts.dHidden holds
    /// d(out): [B, D]; on exit it holds d(x): [T, D] (unless nothing below needs it).
    func blockBackwardCLS(_ layer: Int, x: UnsafePointer<Float>, _ sh: PassShape) {
        let w = blockParams[layer], g = blockGrads[layer], a = acts.blocks[layer]
        let t = sh.tokens, d = sh.dim, b = sh.batch, s = sh.seqLen
        let c = clsShape(sh)
        backwardToContext(layer, rows: b, loraShape: c, sh)
        let dRes = acts.dResidual
        // ctx = attention of q over k, v
        let dropProbs = sh.dropout != nil && sh.attentionP > 0
        Attention.backwardFirstQuery(dctx: acts.dCtx, q: a.q, k: a.k, v: a.v, probs: a.probs,
                                     mask: dropProbs ? UnsafePointer(a.probsMask) : nil, dropoutP: sh.attentionP,
                                     dq: acts.dq, dk: acts.dk, dv: acts.dv, scratch: acts.scratchA,
                                     lengths: acts.lengths, batch: b, seqLen: s, heads: sh.heads, headSize: d / sh.heads)
        // q = xc·Wqᵀ + bq: d(xc) = d(r1) (residual) + dq·Wq, into dCtx (free now)
        let wantsDx = layer > 0 || embeddingsTrainable
        let dxc: UnsafeMutablePointer<Float>? = wantsDx ? acts.dCtx : nil
        Linear.backward(dy: acts.dq, x: acts.clsInput, weight: w.query!, dx: dxc,
                        dWeight: g.query, dBias: g.queryBias, tokens: b, inFeatures: d, outFeatures: d, products: products)
        loraBackward(layer, .query, dy: acts.dq, x: acts.clsInput, dx: dxc, c)
        // k, v = x·Wᵀ + b: d(x) = scatter of d(xc) to position 0 + dk·Wk + dv·Wv
        let dx: UnsafeMutablePointer<Float>? = wantsDx ? acts.dHidden : nil
        if let dx {
            dx.update(repeating: 0, count: t * d)
            for r in 0 ..< b {
                let row = dx + r * s * d, fromRes = dRes + r * d, fromQ = acts.dCtx + r * d
                for i in 0 ..< d { row[i] = fromRes[i] + fromQ[i] }
            }
        }
        Linear.backward(dy: acts.dk, x: x, weight: w.key!, dx: dx, accumulateInput: true,
                        dWeight: g.key, dBias: g.keyBias, tokens: t, inFeatures: d, outFeatures: d, products: products)
        loraBackward(layer, .key, dy: acts.dk, x: x, dx: dx, sh)
        Linear.backward(dy: acts.dv, x: x, weight: w.value!, dx: dx, accumulateInput: true,
                        dWeight: g.value, dBias: g.valueBias, tokens: t, inFeatures: d, outFeatures: d, products: products)
        loraBackward(layer, .value, dy: acts.dv, x: x, dx: dx, sh)
    }

    /// LoRA branch on [CLS] rows (lengths all 1, so the adapter's dropout draws position 0's mask).
    private func loraForwardCLS(_ layer: Int, _ target: LoRATarget, x: UnsafePointer<Float>,
                                y: UnsafeMutablePointer<Float>, _ c: PassShape) {
        guard let lora, let slot = lora.slot(layer, target) else { return }
        lora.forward(slot, x: x, y: y, lengths: acts.ones, samples: acts.samples, c)
    }

    /// Hidden-state dropout in place on [CLS] rows x: [B, D] (position 0: counters = feature).
    private func dropoutCLS(_ x: UnsafeMutablePointer<Float>, mask: UnsafeMutablePointer<UInt8>,
                            site: UInt64, _ sh: PassShape) {
        guard let stream = sh.dropout, sh.hiddenP > 0 else { return }
        let d = sh.dim
        for r in 0 ..< sh.batch {
            Dropout.forward(x: x + r * d, y: x + r * d, mask: mask + r * d, count: d, p: sh.hiddenP,
                            key: stream.key(sample: acts.samples[r], site: site), counter: 0)
        }
    }
}
