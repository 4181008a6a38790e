import Foundation
import Testing
import TxfCore
import TxfMatmul
@testable import TxfModel

/// A LoRA model over the tiny model's weights (copied by name), adapters started by
/// `initializeAdapters`, then optionally given random B (so the branch is not zero).
func tinyLoRAModel(_ lora: LoRAConfig, config: ModelConfig = tinyConfig(), base: BertClassifier = tinyModel(),
                   randomB: Bool = false, maxBatch: Int = 4, matmul: MatmulMode = .openBLAS) -> BertClassifier {
    let model = try! BertClassifier(config: config, maxBatch: maxBatch, maxSeqLen: 6, lora: lora, matmul: matmul)
    for e in base.table.entries { _ = model.parameter(e.name).update(from: base.parameter(e.name)) }
    model.initializeAdapters(seed: 3)
    if randomB {
        let key = RandomKey(seed: 17)
        for (n, e) in model.table.entries.enumerated() where e.name.hasSuffix(".lora_B.weight") {
            let p = model.parameter(e.name)
            for i in 0 ..< p.count { p[i] = 0.5 * (2 * key.with(UInt64(n)).uniform(UInt64(i)) - 1) }
        }
    }
    model.parametersDidChange()
    return model
}

@Suite struct LoRATests {
    static let everyTarget = LoRAConfig(rank: 2, alpha: 4, dropout: 0.2, targets: LoRATarget.allCases)

    /// The table adds A [r, in] and B [out, r] per target and block under PEFT-like names, and
    /// only adapters and the classifier are trainable (pooler by flag); gradient and optimizer
    /// storage is exactly their size.
    @Test func tableHoldsAdaptersAndOnlyTheyAndTheHeadTrain() {
        let lora = LoRAConfig(rank: 3, alpha: 6, dropout: 0, targets: [.query, .value, .output])
        let model = tinyLoRAModel(lora)
        let d = 8, f = 32, labels = 3, r = 3, layers = 2
        #expect(model.table["encoder.layer.1.attention.self.query.lora_A.weight"]?.shape == [r, d])
        #expect(model.table["encoder.layer.1.attention.self.value.lora_B.weight"]?.shape == [d, r])
        #expect(model.table["encoder.layer.0.output.dense.lora_A.weight"]?.shape == [r, f])
        #expect(model.table["encoder.layer.0.output.dense.lora_B.weight"]?.shape == [d, r])
        #expect(model.table["encoder.layer.0.attention.self.key.lora_A.weight"] == nil)
        let adapters = layers * (2 * (r * d + d * r) + (r * f + d * r))
        #expect(model.table.trainableCount == adapters + labels * d + labels)
        #expect(model.gradients.count == model.table.trainableCount)
        #expect(model.gradient("encoder.layer.0.attention.self.query.weight") == nil)
        #expect(model.gradient("pooler.dense.weight") == nil)
        var withPooler = lora
        withPooler.trainPooler = true
        let pooled = try! BertClassifier(config: tinyConfig(), maxBatch: 1, maxSeqLen: 4, lora: withPooler)
        #expect(pooled.table.trainableCount == adapters + labels * d + labels + d * d + d)
        // A ~ U(−1/√in, 1/√in), B = 0.
        let a = model.parameter("encoder.layer.0.output.dense.lora_A.weight")
        #expect(a.allSatisfy { abs($0) <= 1 / Float(f).squareRoot() } && a.contains { $0 != 0 })
        #expect(model.parameter("encoder.layer.0.output.dense.lora_B.weight").allSatisfy { $0 == 0 })
    }

    /// B starts at zero, so the adapted model's logits equal the base model's bit for bit, in
    /// eval mode and in training mode (the encoder's dropout masks do not depend on the adapters).
    @Test(arguments: [ForwardMode.eval, .train(seed: 8, step: 3)])
    func stepZeroLogitsEqualTheBaseModel(mode: ForwardMode) {
        let base = tinyModel()
        let model = tinyLoRAModel(Self.everyTarget, base: base)
        let baseLoss = base.forward(tinyBatch(), mode: mode)
        let loss = model.forward(tinyBatch(), mode: mode)
        #expect(Array(model.logits) == Array(base.logits))
        #expect(loss == baseLoss)
    }

    /// Every adapter gradient (and the head's) against central differences of the loss, with
    /// adapters on all six targets, adapter dropout 0.2 and encoder dropout on (masks are fixed
    /// by seed and step, so the loss is a deterministic function of the parameters). Lower
    /// blocks' adapter gradients exercise the branch's input gradient in every block above.
    @Test func adapterGradientsMatchFiniteDifferences() {
        let model = tinyLoRAModel(Self.everyTarget, randomB: true)
        let mode = ForwardMode.train(seed: 11, step: 2)
        model.zeroGradients()
        model.forward(tinyBatch(), mode: mode)
        model.backward(lossScale: 1)
        let analytic = model.gradients.toArray()
        for e in model.table.entries where e.trainable {
            let stride = max(1, e.count / 5)
            _ = analytic.withUnsafeBufferPointer { g in
                checkGradient(e.name, values: model.parameters.pointer + e.offset, analytic: g.baseAddress! + e.offset,
                              indices: Swift.stride(from: 0, to: e.count, by: stride)) {
                    model.forward(tinyBatch(), mode: mode)
                }
            }
        }
    }

    /// Without adapter dropout, ∂L/∂B = s·(∂L/∂W)·Aᵀ and ∂L/∂A = s·Bᵀ·(∂L/∂W) where ∂L/∂W is the
    /// fully trainable model's weight gradient at the merged weights W + s·B·A.
    @Test func adapterGradientsFollowFromTheMergedWeightGradient() {
        let lora = LoRAConfig(rank: 2, alpha: 3, dropout: 0, targets: [.value, .intermediate])
        let model = tinyLoRAModel(lora, randomB: true)
        let merged = tinyModel()
        for e in merged.table.entries { _ = merged.parameter(e.name).update(from: model.parameter(e.name)) }
        for layer in 0 ..< 2 {
            for target in lora.targets {
                let (out, inF) = target.shape(merged.config)
                let (a, b) = target.adapterNames(layer: layer)
                LoRAMerge.fold(weight: merged.parameter(target.weightName(layer: layer)).baseAddress!,
                               a: model.parameter(a).baseAddress!, b: model.parameter(b).baseAddress!,
                               out: out, in: inF, rank: 2, scale: lora.scale)
            }
        }
        let mode = ForwardMode.train(seed: 5, step: 7)
        for m in [model, merged] { m.zeroGradients(); m.forward(tinyBatch(), mode: mode); m.backward(lossScale: 0.25) }
        let s = Double(lora.scale), r = 2
        for layer in 0 ..< 2 {
            for target in lora.targets {
                let (out, inF) = target.shape(merged.config)
                let (aName, bName) = target.adapterNames(layer: layer)
                let dW = merged.gradient(target.weightName(layer: layer))!
                let a = model.parameter(aName), b = model.parameter(bName)
                let dA = model.gradient(aName)!, dB = model.gradient(bName)!
                for o in 0 ..< out {
                    for k in 0 ..< r {
                        var expected = 0.0
                        for i in 0 ..< inF { expected += s * Double(dW[o * inF + i]) * Double(a[k * inF + i]) }
                        assertClose(Double(dB[o * r + k]), expected, relativeTolerance: 1e-4, absoluteTolerance: 1e-6, "\(bName)[\(o),\(k)]")
                    }
                }
                for k in 0 ..< r {
                    for i in 0 ..< inF {
                        var expected = 0.0
                        for o in 0 ..< out { expected += s * Double(b[o * r + k]) * Double(dW[o * inF + i]) }
                        assertClose(Double(dA[k * inF + i]), expected, relativeTolerance: 1e-4, absoluteTolerance: 1e-6, "\(aName)[\(k),\(i)]")
                    }
                }
            }
        }
        for name in ["classifier.weight", "classifier.bias"] {
            for (x, y) in zip(model.gradient(name)!, merged.gradient(name)!) {
                assertClose(Double(x), Double(y), relativeTolerance: 1e-4, absoluteTolerance: 1e-6, name)
            }
        }
    }

    /// Merging folds s·B·A into W: the merged weights alone give the adapted model's logits.
    @Test func mergedAndUnmergedLogitsAgree() {
        let model = tinyLoRAModel(Self.everyTarget, randomB: true)
        model.forward(tinyBatch(), mode: .eval)
        let unmerged = Array(model.logits)
        let plain = tinyModel()
        let lora = model.loraConfig!
        for layer in 0 ..< model.config.numHiddenLayers {
            for target in lora.targets {
                let (out, inFeatures) = target.shape(model.config), (a, b) = target.adapterNames(layer: layer)
                LoRAMerge.fold(weight: model.parameter(target.weightName(layer: layer)).baseAddress!,
                               a: model.parameter(a).baseAddress!, b: model.parameter(b).baseAddress!,
                               out: out, in: inFeatures, rank: lora.rank, scale: lora.scale)
            }
        }
        for e in plain.table.entries { _ = plain.parameter(e.name).update(from: model.parameter(e.name)) }
        plain.forward(tinyBatch(), mode: .eval)
        #expect(unmerged != Array(tinyModel().forwardLogits(tinyBatch())), "the adapters must change the logits")
        for (c, (x, y)) in zip(unmerged, plain.logits).enumerated() {
            assertClose(Double(y), Double(x), relativeTolerance: 1e-5, absoluteTolerance: 1e-6, "logit \(c)")
        }
    }

    /// Adapter dropout is keyed by the sample's index in the global batch: splitting the batch
    /// into micro-batches (each padded differently) gives the same loss and summed gradient.
    @Test func adapterDropoutFollowsTheSampleNotTheMicroBatch() {
        let model = tinyLoRAModel(Self.everyTarget, randomB: true)
        let mode = ForwardMode.train(seed: 1, step: 9)
        model.zeroGradients()
        let whole = model.forward(tinyBatch(), mode: mode)
        model.backward(lossScale: 0.25)
        let wholeGrad = model.gradients.toArray()
        model.zeroGradients()
        var split = model.forward(tinyBatch(0 ..< 1), mode: mode)
        model.backward(lossScale: 0.25)
        split += model.forward(tinyBatch(1 ..< 4), mode: mode)
        model.backward(lossScale: 0.25)
        assertClose(split, whole, relativeTolerance: 1e-5, absoluteTolerance: 1e-6, "loss sum")
        for i in 0 ..< wholeGrad.count {
            assertClose(Double(model.gradients[i]), Double(wholeGrad[i]), relativeTolerance: 1e-4, absoluteTolerance: 1e-6, "gradient[\(i)]")
        }
        // Another step draws other adapter masks (the encoder's alone would not change this).
        let noEncoderDropout = tinyLoRAModel(Self.everyTarget, config: tinyConfig(hiddenDropout: 0, attentionDropout: 0), randomB: true)
        let a = noEncoderDropout.forward(tinyBatch(), mode: .train(seed: 1, step: 9))
        let b = noEncoderDropout.forward(tinyBatch(), mode: .train(seed: 1, step: 10))
        let c = noEncoderDropout.forward(tinyBatch(), mode: .eval)
        #expect(a != b && a != c)
    }

    @Test func targetListsParseAndRejectUnknownNames() throws {
        #expect(try LoRATarget.parseList("value, query,value") == [.value, .query])
        #expect(LoRAConfig(targets: [.value, .query]).targets == [.query, .value])
        #expect(try LoRATarget.parseList("attention.output,intermediate,output") == [.attentionOutput, .intermediate, .output])
        #expect(throws: TxfError.self) { try LoRATarget.parseList("query,dense") }
        #expect(throws: TxfError.self) { try LoRAConfig(rank: 0).validate() }
        #expect(throws: TxfError.self) { try LoRAConfig(dropout: 1).validate() }
        #expect(LoRATarget.attentionOutput.adapterNames(layer: 3).a == "encoder.layer.3.attention.output.dense.lora_A.weight")
    }
}

extension BertClassifier {
    /// Logits of an eval forward, copied.
    func forwardLogits(_ batch: MicroBatch) -> [Float] {
        forward(batch, mode: .eval)
        return Array(logits)
    }
}
