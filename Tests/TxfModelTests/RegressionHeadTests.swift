import Foundation
import Testing
import TxfCore
@testable import TxfModel

/// A regression model (`problem_type` "regression", one output): the loss is the squared error
/// of the one logit, its gradient matches finite differences, and the loss splits exactly over
/// micro-batches as the cross-entropy does.
@Suite struct RegressionHeadTests {
    static let targets: [Float] = [3.5, -1.25, 0.75, 2]

    static func config(_ json: String) throws -> ModelConfig {
        try JSONDecoder().decode(ModelConfig.self, from: Data(json.utf8))
    }

    static func regressionModel() -> BertClassifier {
        var config = tinyConfig()
        config.numLabels = 1
        config.task = .regression
        return tinyModel(config: config)
    }

    static func batch(_ range: Range<Int> = 0 ..< 4) -> MicroBatch {
        MicroBatch(rows: Array(tinyRows[range]), labels: nil, sampleIndices: Array(range), targets: Array(targets[range]))
    }

    @Test func lossIsTheSquaredErrorOfTheOneLogit() {
        let model = Self.regressionModel()
        let sum = model.forward(Self.batch(), mode: .eval)
        let logits = Array(model.logits)
        #expect(logits.count == 4)
        var expected = 0.0
        for b in 0 ..< 4 {
            let error = Double(logits[b]) - Double(Self.targets[b])
            assertClose(Double(model.sampleLosses[b]), error * error, relativeTolerance: 1e-6, absoluteTolerance: 1e-7, "loss \(b)")
            expected += error * error
            #expect(model.score(row: b) == logits[b])
        }
        assertClose(sum, expected, relativeTolerance: 1e-6, absoluteTolerance: 1e-7, "Σ loss")
    }

    /// Central differences in Double of the loss sum, training mode (fixed dropout masks), for
    /// sampled elements of every tensor; tolerances are `checkGradient`'s (TestSupport.swift).
    @Test func everyTensorMatchesFiniteDifferences() {
        let model = Self.regressionModel()
        let batch = Self.batch(0 ..< 3)
        let mode = ForwardMode.train(seed: 3, step: 2)
        model.zeroGradients()
        model.forward(batch, mode: mode)
        model.backward(lossScale: 1)
        let objective = { model.forward(batch, mode: mode) }
        for (n, e) in model.table.entries.enumerated() {
            let indices = ModelGradientTests.sampleIndices(e.count, key: RandomKey(seed: 78).with(UInt64(n)))
            _ = checkGradient(e.name, values: model.parameters.pointer + e.offset,
                              analytic: model.gradients.pointer + e.offset, indices: indices, objective)
        }
    }

    /// The head's gradient by hand: ∂/∂b_c of Σ (z_b − y_b)² is Σ 2(z_b − y_b).
    @Test func biasGradientIsTwiceTheErrorSum() {
        let model = Self.regressionModel()
        model.zeroGradients()
        model.forward(Self.batch(), mode: .eval)
        model.backward(lossScale: 0.25)
        let logits = Array(model.logits)
        let expected = (0 ..< 4).reduce(0.0) { $0 + 2 * 0.25 * (Double(logits[$1]) - Double(Self.targets[$1])) }
        let offset = model.table["classifier.bias"]!.offset
        assertClose(Double(model.gradients[offset]), expected, relativeTolerance: 1e-5, absoluteTolerance: 1e-7, "dbias")
    }

    /// One batch of 4 and micro-batches of 1 + 3 give the same loss sum and gradient (up to the
    /// order of float sums), so the step's mean over the global batch does not depend on the split.
    @Test func microBatchesSumToTheWholeBatch() {
        let whole = Self.regressionModel(), split = Self.regressionModel()
        whole.zeroGradients()
        split.zeroGradients()
        let total = whole.forward(Self.batch(), mode: .eval)
        whole.backward(lossScale: 0.25)
        var parts = 0.0
        for range in [0 ..< 1, 1 ..< 4] {
            parts += split.forward(Self.batch(range), mode: .eval)
            split.backward(lossScale: 0.25)
        }
        assertClose(parts, total, relativeTolerance: 1e-6, absoluteTolerance: 1e-7, "Σ loss")
        assertClose(split.gradients.toArray(), whole.gradients.toArray(), relativeTolerance: 1e-4, absoluteTolerance: 1e-6, "gradient")
    }

    @Test func configRecordsTheTaskAsHuggingFaceProblemType() throws {
        var config = tinyConfig()
        config.numLabels = 1
        config.task = .regression
        let text = String(decoding: try config.jsonData(), as: UTF8.self)
        #expect(text.contains("\"problem_type\" : \"regression\""))
        #expect(try Self.config(text).task == .regression)
        // A classifier's config text has no problem_type (it is what it was before regression).
        #expect(!String(decoding: try tinyConfig().jsonData(), as: UTF8.self).contains("problem_type"))
        config.numLabels = 2
        #expect(throws: TxfError.self) { try config.validate() }
        #expect(throws: TxfError.self) { try Self.config(#"{"vocab_size":20,"hidden_size":8,"num_hidden_layers":1,"num_attention_heads":2,"intermediate_size":8,"problem_type":"multi_label_classification"}"#) }
        #expect(try Self.config(#"{"vocab_size":20,"hidden_size":8,"num_hidden_layers":1,"num_attention_heads":2,"intermediate_size":8,"problem_type":"single_label_classification"}"#).task == .classification)
    }
}
