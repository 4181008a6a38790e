import Foundation
import Testing
import TxfCore
@testable import TxfModel

/// The masked-LM model: the corruption (`TokenMasking`), the head against a hand computation,
/// the whole model against central differences, and its independence of how rows are split.
@Suite struct MaskedLMTests {
    /// The tiny fixture's ids: [PAD] 0, [CLS] 1, [SEP] 2; [MASK] is taken to be 3. A high rate
    /// so that the four short rows pick several tokens.
    static let masking = TokenMasking(maskId: 3, clsId: 1, sepId: 2, padId: 0, vocabSize: 20, rate: 0.5)

    static func model(hiddenDropout: Float = 0.1) -> BertClassifier {
        var config = tinyConfig(hiddenDropout: hiddenDropout, attentionDropout: hiddenDropout)
        config.head = .maskedLM
        return tinyModel(config: config, masking: masking)
    }

    /// Over 200,000 ordinary tokens: 15 % picked, of those 80 % [MASK], 10 % another id, 10 %
    /// kept (within 4 standard errors); specials never picked; the same key, the same result.
    @Test func corruptionFollowsBERTsRates() {
        let masking = TokenMasking(maskId: 4, clsId: 2, sepId: 3, padId: 0, vocabSize: 1000)
        var picks = 0, masked = 0, replaced = 0, kept = 0, rows = 0
        let length = 50
        for row in 0 ..< 4000 {
            // [CLS] ids… [SEP]: specials at both ends and one [PAD] and [MASK] inside.
            var tokens: [Int32] = [2] + (0 ..< length - 2).map { Int32(5 + ($0 * 7 + row) % 900) } + [3]
            tokens[10] = 0
            tokens[20] = 4
            let original = tokens
            var seen: [(Int, Int32)] = []
            tokens.withUnsafeMutableBufferPointer { t in
                masking.apply(t.baseAddress!, length: length, key: TokenMasking.evaluationKey(row: row)) { seen.append(($0, $1)) }
            }
            for (position, id) in seen {
                #expect(![0, 10, 20, length - 1].contains(position), "a special token was picked")
                #expect(id == original[position])
                if tokens[position] == 4 { masked += 1 } else if tokens[position] == id { kept += 1 } else { replaced += 1 }
                #expect(tokens[position] >= 0 && tokens[position] < 1000)
            }
            for t in 0 ..< length where !seen.contains(where: { $0.0 == t }) { #expect(tokens[t] == original[t]) }
            picks += seen.count
            rows += 1
            if row == 7 {
                var again = original, positions: [Int] = []
                again.withUnsafeMutableBufferPointer { t in
                    masking.apply(t.baseAddress!, length: length, key: TokenMasking.evaluationKey(row: row)) { p, _ in positions.append(p) }
                }
                #expect(again == tokens && positions == seen.map(\.0))
            }
        }
        let eligible = Double(rows * (length - 4))
        func within(_ count: Int, of p: Double, in n: Double, _ what: String) {
            let sd = (p * (1 - p) / n).squareRoot()
            #expect(abs(Double(count) / n - p) < 4 * sd, "\(what): \(Double(count) / n), expected \(p)")
        }
        within(picks, of: 0.15, in: eligible, "picked")
        within(masked, of: 0.8, in: Double(picks), "[MASK]")
        within(replaced, of: 0.1 * 999 / 1000, in: Double(picks), "random id")
        within(kept, of: 0.1 + 0.1 / 1000, in: Double(picks), "kept")
    }

    /// The head's loss, by hand in Double: gather the picks' hidden states, dense, exact GELU,
    /// LayerNorm, logits against the tied word embeddings plus the bias, cross-entropy.
    @Test func headLossMatchesAHandComputation() {
        let model = Self.model(hiddenDropout: 0)
        let batch = tinyBatch()
        let loss = model.forward(batch, mode: .eval)
        let head = model.maskedLM!.head
        #expect(head.positions.count > 0)
        let d = model.config.hiddenSize, v = model.config.vocabSize, s = batch.seqLen
        let hidden = model.acts.blocks[model.config.numHiddenLayers - 1].out
        let w = model.parameter(MaskedLMHead.transformWeight), bt = model.parameter(MaskedLMHead.transformBias)
        let gamma = model.parameter(MaskedLMHead.transformGamma), beta = model.parameter(MaskedLMHead.transformBeta)
        let e = model.parameter("embeddings.word_embeddings.weight"), bias = model.parameter(MaskedLMHead.outputBias)
        var expected = 0.0, correct = 0
        for (i, position) in head.positions.enumerated() {
            #expect(position % s < batch.lengths[position / s])
            let x = (0 ..< d).map { Double(hidden[position * d + $0]) }
            let u = (0 ..< d).map { o -> Double in
                let z = (0 ..< d).reduce(Double(bt[o])) { $0 + Double(w[o * d + $1]) * x[$1] }
                return 0.5 * z * (1 + erf(z / 2.0.squareRoot()))
            }
            let mean = u.reduce(0, +) / Double(d)
            let variance = u.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(d)
            let y = (0 ..< d).map { (u[$0] - mean) / (variance + 1e-12).squareRoot() * Double(gamma[$0]) + Double(beta[$0]) }
            let logits = (0 ..< v).map { c in (0 ..< d).reduce(Double(bias[c])) { $0 + Double(e[c * d + $1]) * y[$1] } }
            let top = logits.max()!
            let logSum = top + log(logits.reduce(0) { $0 + exp($1 - top) })
            expected += logSum - logits[Int(head.originals[i])]
            if logits.firstIndex(of: top)! == Int(head.originals[i]) { correct += 1 }
        }
        assertClose(loss, expected, relativeTolerance: 1e-5, "masked-LM loss")
        #expect(model.correctPredictions == correct)
        #expect(model.lossTerms == head.positions.count && model.predictedTokens == head.positions.count)
    }

    /// Whole masked-LM model in training mode (masks and dropout fixed by the key): the
    /// analytic gradient matches central differences for sampled elements of every tensor, the
    /// word embeddings (encoder input and tied decoder) at rows of used and unused tokens.
    @Test func everyTensorMatchesFiniteDifferences() {
        let model = Self.model()
        #expect(!model.lastBlockComputesCLSOnly)
        let batch = tinyBatch(0 ..< 3)
        let mode = ForwardMode.train(seed: 3, step: 2)
        model.zeroGradients()
        model.forward(batch, mode: mode)
        #expect(model.predictedTokens >= 2)
        model.backward(lossScale: 1)
        #expect((0 ..< model.config.vocabSize).allSatisfy { model.touchedWordRows[$0] != 0 })
        let objective = { model.forward(batch, mode: mode) }
        for (n, e) in model.table.entries.enumerated() {
            var indices = ModelGradientTests.sampleIndices(e.count, key: RandomKey(seed: 77).with(UInt64(n)))
            if e.name == "embeddings.word_embeddings.weight" {
                indices += [7 * 8 + 3, 12 * 8, 19 * 8 + 7, 3 * 8 + 1]  // tokens 7, 12, 19, [MASK]
            }
            checkGradient(e.name, values: model.parameters.pointer + e.offset, analytic: model.gradients.pointer + e.offset,
                          indices: indices, objective)
        }
    }

    /// Masks are keyed by the sample's position in the global batch: one micro-batch of three
    /// rows and two micro-batches of one and two rows (as two ranks would take them) pick the
    /// same tokens and give the same loss sum and gradient.
    @Test func splittingTheBatchChangesNothing() {
        let mode = ForwardMode.train(seed: 11, step: 4)
        let whole = Self.model(), split = Self.model()
        whole.zeroGradients()
        let wholeLoss = whole.forward(tinyBatch(0 ..< 3), mode: mode)
        let wholePicks = whole.predictedTokens
        whole.backward(lossScale: 1)
        split.zeroGradients()
        var splitLoss = 0.0, splitPicks = 0
        for range in [0 ..< 1, 1 ..< 3] {
            splitLoss += split.forward(tinyBatch(range), mode: mode)
            splitPicks += split.predictedTokens
            split.backward(lossScale: 1)
        }
        #expect(splitPicks == wholePicks)
        assertClose(splitLoss, wholeLoss, relativeTolerance: 1e-5)
        assertClose(split.gradients.toArray(), whole.gradients.toArray(), relativeTolerance: 1e-4, absoluteTolerance: 1e-6)
    }

    /// Evaluation masks depend on the dataset row, not the step or the batch: two evaluations
    /// pick the same tokens; training steps pick others.
    @Test func evaluationMasksAreFixedAndTrainingMasksMove() {
        let model = Self.model()
        var batch = tinyBatch()
        batch.rows = [10, 11, 12, 13]
        let first = model.forward(batch, mode: .eval), firstPicks = model.maskedLM!.head.positions
        let second = model.forward(batch, mode: .eval)
        #expect(first == second && model.maskedLM!.head.positions == firstPicks)
        var trainingPicks: Set<[Int]> = []
        for step in 0 ..< 6 {
            model.forward(batch, mode: .train(seed: 1, step: UInt64(step)))
            trainingPicks.insert(model.maskedLM!.head.positions)
        }
        #expect(trainingPicks.count > 1)
    }

    /// A masked-LM config says so in Hugging Face's key and reads back; a classifier's text has
    /// no `architectures`.
    @Test func headIsWrittenAsArchitectures() throws {
        var config = tinyConfig()
        let plain = String(decoding: try config.jsonData(), as: UTF8.self)
        #expect(!plain.contains("architectures"))
        config.head = .maskedLM
        let text = try config.jsonData()
        #expect(String(decoding: text, as: UTF8.self).contains("\"BertForMaskedLM\""))
        #expect(try JSONDecoder().decode(ModelConfig.self, from: text) == config)
        let table = ParameterTable.bertClassifier(config)
        #expect(table["pooler.dense.weight"] == nil && table["classifier.weight"] == nil)
        #expect(table[MaskedLMHead.outputBias]?.shape == [config.vocabSize])
        #expect(table[MaskedLMHead.outputBias]?.decays == false && table[MaskedLMHead.transformWeight]?.decays == true)
    }

    /// Without the masking a masked-LM model cannot be built.
    @Test func aMaskedLMModelNeedsItsMasking() {
        var config = tinyConfig()
        config.head = .maskedLM
        #expect(throws: TxfError.self) { try BertClassifier(config: config, maxBatch: 1, maxSeqLen: 4) }
    }
}
