import Testing
import TxfCore
@testable import TxfModel

/// The last block computed for [CLS] rows only must give what the full block gives: the same
/// logits, loss and every gradient, with dropout on (same masks) and with LoRA adapters on
/// every target — up to summation order, hence ~1e-5 (see `assertClose`).
@Suite struct CLSOnlyBlockTests {
    /// Logits, loss and gradients of one forward + backward with the last block CLS-only or full.
    private func run(_ model: BertClassifier, clsOnly: Bool, mode: ForwardMode) -> (logits: [Float], loss: Double, grads: [Float]) {
        model.lastBlockComputesCLSOnly = clsOnly
        model.zeroGradients()
        let loss = model.forward(tinyBatch(), mode: mode)
        let logits = Array(model.logits)
        model.backward(lossScale: 0.25)
        return (logits, loss, model.gradients.toArray())
    }

    private func compare(_ model: BertClassifier, mode: ForwardMode) {
        let full = run(model, clsOnly: false, mode: mode)
        let cls = run(model, clsOnly: true, mode: mode)
        assertClose(cls.loss, full.loss, relativeTolerance: 1e-5, absoluteTolerance: 1e-6, "loss")
        for i in full.logits.indices {
            assertClose(Double(cls.logits[i]), Double(full.logits[i]), relativeTolerance: 1e-5, absoluteTolerance: 1e-6, "logit \(i)")
        }
        for e in model.table.entries where e.trainable {
            var worst = 0.0, scale = 0.0
            for i in e.range {
                worst = max(worst, abs(Double(cls.grads[i]) - Double(full.grads[i])))
                scale = max(scale, abs(Double(full.grads[i])))
            }
            #expect(worst <= 1e-5 * max(scale, 1e-2), "\(e.name): largest difference \(worst) (largest gradient \(scale))")
        }
    }

    @Test(arguments: [ForwardMode.eval, .train(seed: 4, step: 7)])
    func matchesTheFullBlock(mode: ForwardMode) {
        // Eval: no dropout; backward still runs (the loss has labels).
        compare(tinyModel(), mode: mode)
    }

    @Test func matchesTheFullBlockWithLoRAOnEveryTarget() {
        let lora = LoRAConfig(rank: 2, alpha: 4, dropout: 0.2, targets: LoRATarget.allCases)
        compare(tinyLoRAModel(lora, randomB: true), mode: .train(seed: 4, step: 7))
    }

    @Test func matchesTheFullBlockWithFrozenEmbeddingsAndOneLayer() {
        var config = tinyConfig()
        config.numHiddenLayers = 1
        let model = tinyModel(config: config) { !$0.hasPrefix("embeddings.") }
        compare(model, mode: .train(seed: 2, step: 1))
    }
}
