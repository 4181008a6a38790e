import TxfCore

extension BertClassifier {
    /// Runs the model on `batch` and returns Σ_b loss_b (accumulated in Double), or 0 when the
    /// batch has no labels (a regression model: no targets). loss_b is the cross-entropy of the
    /// label, or for a regression model the squared error of the one logit against the target. Logits and per-sample losses stay readable until the next forward;
    /// the activations backward needs are kept.
    ///
    /// A masked-LM model needs no labels: it corrupts the rows (`TokenMasking`, keyed as dropout
    /// in training and by `batch.rows` in evaluation) and loss_b is the summed cross-entropy of
    /// row b's picked tokens (`lossTerms` counts the picks).
    ///
    /// `mode: .train(seed:step:)` turns dropout on with masks keyed by (seed, step, sample index
    /// in the global batch, site, position, feature); `.eval` turns it off. A training forward
    /// whose step differs from the previous training forward's also refreshes the engine's
    /// copies of the trainable weights (see `parametersDidChange`), so an optimizer's updates
    /// are seen even where its caller did not announce them.
    @discardableResult
    public func forward(_ batch: MicroBatch, mode: ForwardMode) -> Double {
        let b = batch.batchSize, s = batch.seqLen, d = config.hiddenSize
        precondition(b >= 1 && b <= maxBatch, "micro-batch of \(b) rows exceeds the model's maxBatch \(maxBatch)")
        precondition(s >= 1 && s <= maxSeqLen, "sequence length \(s) exceeds the model's maxSeqLen \(maxSeqLen)")
        loadInputs(batch)
        if let (head, masking) = maskedLM {
            head.beginPass()
            for r in 0 ..< b {
                let key: RandomKey
                if case let .train(seed, step) = mode {
                    key = TokenMasking.trainingKey(seed: seed, step: step, sample: acts.samples[r])
                } else {
                    key = TokenMasking.evaluationKey(row: batch.rows.isEmpty ? acts.samples[r] : batch.rows[r])
                }
                masking.apply(acts.tokens + r * s, length: acts.lengths[r], key: key) { t, original in
                    head.pick(position: r * s + t, original: original)
                }
            }
        }
        if case let .train(_, step) = mode, step != lastRefreshStep {
            // A new optimizer step: the trainable weights' engine copies are rewritten.
            products.trainableParametersDidChange()
            lastRefreshStep = step
        }
        var stream: DropoutStream? = nil
        if case let .train(seed, step) = mode,
           config.hiddenDropoutProb > 0 || config.attentionProbsDropoutProb > 0 || (loraConfig?.dropout ?? 0) > 0 {
            stream = DropoutStream(seed: seed, step: step, hiddenP: config.hiddenDropoutProb,
                                   attentionP: config.attentionProbsDropoutProb)
        }
        let sh = PassShape(batch: b, seqLen: s, dim: d, ffn: config.intermediateSize, heads: config.numAttentionHeads,
                           maxPositions: config.maxPositionEmbeddings, eps: config.layerNormEps,
                           hiddenP: config.hiddenDropoutProb, attentionP: config.attentionProbsDropoutProb,
                           dropout: stream)
        let t = sh.tokens
        // e = word[tok] + position[t] + type[tt];  h₀ = dropout(LN(e))
        Embeddings.forward(tokens: acts.tokens, types: acts.types, word: paramPointer("embeddings.word_embeddings.weight"),
                           position: paramPointer("embeddings.position_embeddings.weight"),
                           type: paramPointer("embeddings.token_type_embeddings.weight"),
                           out: acts.embSum, batch: b, seqLen: s, dim: d)
        LayerNorm.forward(x: acts.embSum, gamma: paramPointer("embeddings.LayerNorm.weight"),
                          beta: paramPointer("embeddings.LayerNorm.bias"), y: acts.embOut, mean: acts.embMean,
                          rstd: acts.embRstd, rows: t, dim: d, eps: sh.eps)
        dropoutHidden(acts.embOut, mask: acts.embMask, site: DropoutSite.embeddings, sh)
        var x = UnsafePointer(acts.embOut)
        for l in 0 ..< config.numHiddenLayers {
            // Only [CLS] of the last block reaches the pooler (EncoderBlock+CLS.swift).
            if l == config.numHiddenLayers - 1 && acts.lastBlockCLSOnly { blockForwardCLS(l, x: x, sh) } else { blockForward(l, x: x, sh) }
            x = UnsafePointer(acts.blocks[l].out)
        }
        if let (head, _) = maskedLM {
            last = sh
            lastHasLabels = true
            return head.forward(hidden: x, maskedLMTensors(), eps: sh.eps, products: products)
        }
        // p = dropout(tanh(W_p · s + b_p)), s = h[CLS] or the mean of h over the row's tokens
        Pooler.forward(hidden: x, lengths: acts.lengths, pooling: config.pooling,
                       weight: paramPointer("pooler.dense.weight"), bias: paramPointer("pooler.dense.bias"),
                       summary: acts.poolerInput, pooled: acts.pooled, batch: b, seqLen: lastBlockRowsPerSample(sh), dim: d,
                       products: products)
        acts.pooledDrop.update(from: acts.pooled, count: b * d)
        if let stream, sh.hiddenP > 0 {
            let site = DropoutSite.classifier(layers: config.numHiddenLayers)
            for r in 0 ..< b {
                Dropout.forward(x: acts.pooled + r * d, y: acts.pooledDrop + r * d, mask: acts.pooledMask + r * d,
                                count: d, p: sh.hiddenP, key: stream.key(sample: acts.samples[r], site: site), counter: 0)
            }
        }
        // z = W_c · p + b_c
        Linear.forward(x: acts.pooledDrop, weight: paramPointer("classifier.weight"), bias: paramPointer("classifier.bias"),
                       y: acts.logits, tokens: b, inFeatures: d, outFeatures: config.numLabels, products: products)
        last = sh
        lastHasLabels = config.task == .regression ? batch.targets != nil : batch.labels != nil
        guard lastHasLabels else { return 0 }
        if config.task == .regression {
            return MeanSquaredError.forward(logits: acts.logits, targets: acts.targets, losses: acts.losses, batch: b)
        }
        return CrossEntropy.forward(logits: acts.logits, labels: acts.labels, probs: acts.probs, losses: acts.losses,
                                    batch: b, classes: config.numLabels)
    }

    /// Copies the micro-batch into the model's input buffers, checking ids and lengths.
    private func loadInputs(_ batch: MicroBatch) {
        let b = batch.batchSize, s = batch.seqLen, v = Int32(config.vocabSize)
        batch.tokens.withUnsafeBufferPointer { src in
            for i in 0 ..< b * s {
                precondition(src[i] >= 0 && src[i] < v, "token id \(src[i]) outside the vocabulary of \(v)")
                acts.tokens[i] = src[i]
            }
        }
        if let types = batch.tokenTypes {
            for i in 0 ..< b * s {
                precondition(types[i] >= 0 && Int(types[i]) < config.typeVocabSize, "token type \(types[i]) out of range")
                acts.types[i] = types[i]
            }
        } else {
            acts.types.update(repeating: 0, count: b * s)
        }
        for r in 0 ..< b {
            precondition(batch.lengths[r] >= 1 && batch.lengths[r] <= s, "row length \(batch.lengths[r]) not in 1...\(s)")
            acts.lengths[r] = batch.lengths[r]
            acts.samples[r] = batch.sampleIndices[r]
            if config.head == .maskedLM {
                continue  // the text is the target
            } else if config.task == .regression {
                if let targets = batch.targets {
                    precondition(targets[r].isFinite, "target \(targets[r]) is not finite")
                    acts.targets[r] = targets[r]
                }
            } else if let labels = batch.labels {
                precondition(labels[r] >= 0 && Int(labels[r]) < config.numLabels, "label \(labels[r]) not in 0..<\(config.numLabels)")
                acts.labels[r] = labels[r]
            }
        }
    }

    /// Adds `lossScale · ∂(Σ_b loss_b)/∂θ` of the last forward into `gradients` (pass 1/G, G the
    /// global batch size, so that all micro-steps of all ranks sum to the mean-loss gradient).
    /// Requires the last forward to have had labels. Runs the layers in reverse order of forward.
    ///
    /// - Parameter finished: called as each `BackwardStage` is done, every stage once in
    ///   backward's order (the embeddings too when frozen): that stage's gradients receive
    ///   nothing more in this pass.
    public func backward(lossScale: Float, finished: (BackwardStage) -> Void = { _ in }) {
        guard let sh = last, lastHasLabels else { preconditionFailure("backward needs a forward with labels first") }
        let b = sh.batch, d = sh.dim
        let dropHidden = sh.dropout != nil && sh.hiddenP > 0
        if let (head, _) = maskedLM {
            head.backward(scale: lossScale, maskedLMTensors(), dHidden: acts.dHidden, tokens: sh.tokens, products: products)
            // The decoder added to every row of the word gradient.
            if wordGradient != nil { touchedWordRows.buffer.update(repeating: 1) }
        } else {
            classifierBackward(lossScale: lossScale, sh)
        }
        finished(.head)
        // hₗ = block(hₗ₋₁)
        for layer in stride(from: config.numHiddenLayers - 1, through: 0, by: -1) {
            let x = layer == 0 ? acts.embOut : acts.blocks[layer - 1].out
            if layer == config.numHiddenLayers - 1 && acts.lastBlockCLSOnly { blockBackwardCLS(layer, x: x, sh) } else { blockBackward(layer, x: x, sh) }
            finished(.block(layer))
        }
        // h₀ = dropout(LN(e))
        defer { finished(.embeddings) }
        guard embeddingsTrainable else { return }
        let t = sh.tokens
        if dropHidden {
            Dropout.backward(dy: acts.dHidden, mask: acts.embMask, dx: acts.dHidden, count: t * d, p: sh.hiddenP)
        }
        LayerNorm.backward(dy: acts.dHidden, x: acts.embSum, gamma: paramPointer("embeddings.LayerNorm.weight"),
                           mean: acts.embMean, rstd: acts.embRstd, dx: acts.dResidual,
                           dGamma: gradPointer("embeddings.LayerNorm.weight"), dBeta: gradPointer("embeddings.LayerNorm.bias"),
                           rows: t, dim: d)
        // e = word[tok] + position[t] + type[tt]
        Embeddings.backward(de: acts.dResidual, tokens: acts.tokens, types: acts.types, lengths: acts.lengths,
                            dWord: gradPointer("embeddings.word_embeddings.weight"),
                            dPosition: gradPointer("embeddings.position_embeddings.weight"),
                            dType: gradPointer("embeddings.token_type_embeddings.weight"),
                            touchedWordRows: touchedWordRows.pointer, batch: b, seqLen: sh.seqLen, dim: d)
    }

    /// The classifier head's part of `backward`: loss, classifier, dropout, pooler, down to
    /// `acts.dHidden`.
    private func classifierBackward(lossScale: Float, _ sh: PassShape) {
        let b = sh.batch, d = sh.dim, l = config.numLabels
        let dropHidden = sh.dropout != nil && sh.hiddenP > 0
        if config.task == .regression {
            // loss = Σ_b (z_b − y_b)²
            MeanSquaredError.backward(logits: acts.logits, targets: acts.targets, dlogits: acts.dLogits, scale: lossScale, batch: b)
        } else {
            // loss = Σ_b logsumexp(z_b) − z_b[label_b]
            CrossEntropy.backward(probs: acts.probs, labels: acts.labels, dlogits: acts.dLogits, scale: lossScale,
                                  batch: b, classes: l)
        }
        // z = W_c · p + b_c
        Linear.backward(dy: acts.dLogits, x: acts.pooledDrop, weight: paramPointer("classifier.weight"), dx: acts.dPooled,
                        dWeight: gradPointer("classifier.weight"), dBias: gradPointer("classifier.bias"),
                        tokens: b, inFeatures: d, outFeatures: l, products: products)
        // p = dropout(pooled)
        if dropHidden {
            Dropout.backward(dy: acts.dPooled, mask: acts.pooledMask, dx: acts.dPooled, count: b * d, p: sh.hiddenP)
        }
        // pooled = tanh(W_p · s + b_p)
        Pooler.backward(dpooled: acts.dPooled, pooled: acts.pooled, summary: acts.poolerInput,
                        lengths: acts.lengths, pooling: config.pooling, weight: paramPointer("pooler.dense.weight"),
                        dWeight: gradPointer("pooler.dense.weight"), dBias: gradPointer("pooler.dense.bias"),
                        dsummary: acts.dPoolerInput, dhidden: acts.dHidden, batch: b, seqLen: lastBlockRowsPerSample(sh), dim: d,
                        products: products)
    }

    /// The masked-LM head's tensors and gradients.
    private func maskedLMTensors() -> MaskedLMHead.Tensors {
        typealias H = MaskedLMHead
        let word = "embeddings.word_embeddings.weight"
        return H.Tensors(
            transform: paramPointer(H.transformWeight), transformBias: paramPointer(H.transformBias),
            gamma: paramPointer(H.transformGamma), beta: paramPointer(H.transformBeta), word: paramPointer(word),
            bias: paramPointer(H.outputBias),
            dTransform: gradPointer(H.transformWeight), dTransformBias: gradPointer(H.transformBias),
            dGamma: gradPointer(H.transformGamma), dBeta: gradPointer(H.transformBeta), dWord: gradPointer(word),
            dBias: gradPointer(H.outputBias))
    }
}
