import Foundation
import Testing
import TxfCore
@testable import TxfModel

@Suite struct ModelBehaviourTests {
    /// Backward marks exactly the word rows of real tokens, every nonzero word-gradient row is
    /// marked, and zeroGradients (which clears only marked word rows) leaves all zero.
    @Test func touchedWordRowsCoverTheWordGradient() {
        let model = tinyModel()
        let d = model.config.hiddenSize
        let word = model.table.info("embeddings.word_embeddings.weight")
        model.zeroGradients()
        for range in [0 ..< 2, 2 ..< 4] {  // two micro-steps accumulate
            model.forward(tinyBatch(range), mode: .train(seed: 3, step: 1))
            model.backward(lossScale: 0.25)
        }
        let used = Set(tinyRows.flatMap { $0 }.map(Int.init))
        let marked = Set((0 ..< model.config.vocabSize).filter { model.touchedWordRows[$0] != 0 })
        #expect(marked == used)
        let g = model.gradients.toArray()
        let nonzero = Set((0 ..< model.config.vocabSize).filter { r in (0 ..< d).contains { g[word.offset + r * d + $0] != 0 } })
        #expect(!nonzero.isEmpty && nonzero.isSubset(of: marked))
        #expect(g.contains { $0 != 0 })
        model.zeroGradients()
        #expect(model.gradients.toArray().allSatisfy { $0 == 0 })
        #expect(model.touchedWordRows.toArray().allSatisfy { $0 == 0 })
    }

    /// A row padded inside a longer micro-batch gives the same logits as the row alone, in eval
    /// and in training mode (dropout keyed by sample index and position, not by padding), with
    /// either pooling (the mean must leave the padded positions out).
    @Test(arguments: [ForwardMode.eval, .train(seed: 8, step: 4)], Pooling.allCases)
    func paddingDoesNotChangeARow(mode: ForwardMode, pooling: Pooling) {
        var config = tinyConfig()
        config.pooling = pooling
        let model = tinyModel(config: config)
        model.forward(MicroBatch(rows: [tinyRows[1], tinyRows[3]], labels: nil, sampleIndices: [6, 2]), mode: mode)
        let padded = Array(model.logits.prefix(3))
        model.forward(MicroBatch(rows: [tinyRows[1]], labels: nil, sampleIndices: [6]), mode: mode)
        let alone = Array(model.logits)
        for c in 0 ..< 3 {
            assertClose(Double(padded[c]), Double(alone[c]), relativeTolerance: 1e-5, absoluteTolerance: 1e-6, "logit \(c)")
        }
    }

    /// A global batch of 4 split into micro-batches of 2 (each padded to its own longest row)
    /// gives the same loss sum and, with lossScale 1/G, the same summed gradient.
    @Test func microBatchSplitSumsToTheWholeBatch() {
        let model = tinyModel()
        let mode = ForwardMode.train(seed: 1, step: 9)
        let scale: Float = 1.0 / 4
        model.zeroGradients()
        let whole = model.forward(tinyBatch(), mode: mode)
        model.backward(lossScale: scale)
        let wholeGrad = model.gradients.toArray()
        model.zeroGradients()
        var split = model.forward(tinyBatch(0 ..< 2), mode: mode)
        model.backward(lossScale: scale)
        split += model.forward(tinyBatch(2 ..< 4), mode: mode)
        model.backward(lossScale: scale)
        assertClose(split, whole, relativeTolerance: 1e-5, absoluteTolerance: 1e-6, "loss sum")
        var worst: Float = 0
        for i in 0 ..< wholeGrad.count {
            worst = max(worst, abs(model.gradients[i] - wholeGrad[i]))
            assertClose(Double(model.gradients[i]), Double(wholeGrad[i]), relativeTolerance: 1e-4,
                        absoluteTolerance: 1e-6, "gradient[\(i)]")
        }
        print("micro-batch split: max gradient difference \(worst)")
    }

    /// The same sample index draws the same dropout masks whatever else is in the micro-batch;
    /// another index (or step) draws others.
    @Test func dropoutMaskFollowsTheSampleNotTheMicroBatch() {
        let model = tinyModel(config: tinyConfig(hiddenDropout: 0.3, attentionDropout: 0.3))
        let mode = ForwardMode.train(seed: 2, step: 5)
        model.forward(MicroBatch(rows: [tinyRows[0], tinyRows[2]], labels: nil, sampleIndices: [5, 6]), mode: mode)
        let first = Array(model.logits.prefix(3))
        model.forward(MicroBatch(rows: [tinyRows[3], tinyRows[1], tinyRows[0]], labels: nil, sampleIndices: [9, 1, 5]), mode: mode)
        let second = Array(model.logits.suffix(3))
        for c in 0 ..< 3 {
            assertClose(Double(first[c]), Double(second[c]), relativeTolerance: 1e-5, absoluteTolerance: 1e-6, "logit \(c)")
        }
        model.forward(MicroBatch(rows: [tinyRows[0]], labels: nil, sampleIndices: [4]), mode: mode)
        let otherIndex = Array(model.logits)
        model.forward(MicroBatch(rows: [tinyRows[0]], labels: nil, sampleIndices: [5]), mode: .train(seed: 2, step: 6))
        let otherStep = Array(model.logits)
        model.forward(MicroBatch(rows: [tinyRows[0]], labels: nil, sampleIndices: [5]), mode: .eval)
        let eval = Array(model.logits)
        #expect(otherIndex != first && otherStep != first && eval != first)
    }

    /// With only the head trainable, the gradient buffer holds only the head, and its
    /// gradients equal the fully trainable model's.
    @Test func frozenTensorsGetNoGradientStorage() {
        let headOnly: (String) -> Bool = { $0.hasPrefix("pooler.") || $0.hasPrefix("classifier.") }
        let full = tinyModel(), frozen = tinyModel(trainable: headOnly)
        let d = 8, labels = 3
        #expect(frozen.table.trainableCount == d * d + d + labels * d + labels)
        #expect(frozen.gradients.count == frozen.table.trainableCount)
        #expect(frozen.gradient("encoder.layer.0.attention.self.query.weight") == nil)
        for e in full.table.entries {  // same weights by name (layouts differ)
            _ = frozen.parameter(e.name).update(from: full.parameter(e.name))
        }
        let mode = ForwardMode.train(seed: 4, step: 0)
        let lossFull = full.forward(tinyBatch(), mode: mode)
        full.backward(lossScale: 0.5)
        let lossFrozen = frozen.forward(tinyBatch(), mode: mode)
        frozen.backward(lossScale: 0.5)
        #expect(lossFull == lossFrozen)
        for name in ["pooler.dense.weight", "pooler.dense.bias", "classifier.weight", "classifier.bias"] {
            #expect(Array(full.gradient(name)!) == Array(frozen.gradient(name)!), "\(name)")
        }
    }

    @Test func initialisationFollowsBERTAndIsKeyedByName() {
        let config = ModelConfig(vocabSize: 1000, hiddenSize: 16, numHiddenLayers: 1, numAttentionHeads: 2,
                                 intermediateSize: 32, maxPositionEmbeddings: 8)
        let a = try! BertClassifier(config: config, maxBatch: 1, maxSeqLen: 4)
        let b = try! BertClassifier(config: config, maxBatch: 1, maxSeqLen: 4, trainable: { $0.hasPrefix("classifier") })
        a.initializeWeights(seed: 42)
        b.initializeWeights(seed: 42)
        for e in a.table.entries { #expect(Array(a.parameter(e.name)) == Array(b.parameter(e.name)), "\(e.name)") }
        #expect(a.parameter("encoder.layer.0.output.LayerNorm.weight").allSatisfy { $0 == 1 })
        #expect(a.parameter("encoder.layer.0.output.LayerNorm.bias").allSatisfy { $0 == 0 })
        #expect(a.parameter("classifier.bias").allSatisfy { $0 == 0 })
        let word = a.parameter("embeddings.word_embeddings.weight")
        #expect(word[0 ..< 16].allSatisfy { $0 == 0 })  // pad_token_id 0
        var sum = 0.0, sq = 0.0
        for v in word[16...] { sum += Double(v); sq += Double(v) * Double(v) }
        let n = Double(word.count - 16)
        let std = (sq / n - (sum / n) * (sum / n)).squareRoot()
        assertClose(std, 0.02, relativeTolerance: 0.03, absoluteTolerance: 0, "std of word embeddings")
        a.initializeWeights(seed: 43)
        #expect(Array(a.parameter("pooler.dense.weight")) != Array(b.parameter("pooler.dense.weight")))
    }
}

@Suite struct ModelOutputTests {
    @Test func probabilitiesAndPredictionsFollowTheLogits() {
        let model = tinyModel()
        model.forward(tinyBatch(), mode: .eval)
        #expect(model.sampleLosses.count == 4)
        for row in 0 ..< 4 {
            let p = model.classProbabilities(row: row)
            assertClose(Double(p.reduce(0, +)), 1, relativeTolerance: 0, absoluteTolerance: 1e-6, "Σp")
            #expect(p.indices.max { p[$0] < p[$1] } == model.predictedClass(row: row))
            // loss_b = −log p_b[label_b]
            assertClose(Double(model.sampleLosses[row]), -log(Double(p[Int(tinyLabels[row])])),
                        relativeTolerance: 1e-5, absoluteTolerance: 1e-6, "loss[\(row)]")
        }
        model.forward(MicroBatch(rows: [tinyRows[0]], labels: nil), mode: .eval)
        #expect(model.logits.count == 3 && model.sampleLosses.isEmpty)
    }
}
