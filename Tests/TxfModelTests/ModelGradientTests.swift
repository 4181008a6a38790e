import Testing
import TxfCore
@testable import TxfModel

@Suite struct ModelGradientTests {
    /// A few element indices spread over a tensor of `count` elements (all when small).
    static func sampleIndices(_ count: Int, key: RandomKey) -> [Int] {
        if count <= 6 { return Array(0 ..< count) }
        var picks = [0, count / 3, count / 2, count - 1]
        for j in 0 ..< 3 { picks.append(key.below(count, UInt64(j))) }
        return Array(Set(picks)).sorted()
    }

    /// Whole model, training mode (dropout masks are fixed by the key, so the loss is a smooth
    /// function of the parameters), padded micro-batch of 3 rows: the analytic gradient of the
    /// loss sum matches central differences for sampled elements of every tensor, pooling [CLS]
    /// (the last block for [CLS] only) or the mean (the full last block).
    @Test(arguments: Pooling.allCases)
    func everyTensorMatchesFiniteDifferences(pooling: Pooling) {
        var config = tinyConfig()
        config.pooling = pooling
        let model = tinyModel(config: config)
        #expect(model.lastBlockComputesCLSOnly == (pooling == .cls))
        let batch = tinyBatch(0 ..< 3)  // lengths 5, 2, 4: padded to 5
        let mode = ForwardMode.train(seed: 3, step: 2)
        model.zeroGradients()
        model.forward(batch, mode: mode)
        model.backward(lossScale: 1)
        let objective = { model.forward(batch, mode: mode) }
        // Mean pooling sums a path from every row into each weight: more curvature at ε = 1e-2
        // than the step's truncation error allows for, hence a smaller step.
        let step: Float = pooling == .cls ? fdStep : 1e-3
        var report: [String] = []
        for (n, e) in model.table.entries.enumerated() {
            var indices = Self.sampleIndices(e.count, key: RandomKey(seed: 77).with(UInt64(n)))
            if e.name == "embeddings.word_embeddings.weight" {
                indices += [7 * 8 + 3, 12 * 8, 19 * 8 + 7]  // rows of tokens 7, 12 (row 0) and 19 (unused)
            }
            let worst = checkGradient(e.name, values: model.parameters.pointer + e.offset,
                                      analytic: model.gradients.pointer + e.offset, indices: indices, step: step, objective)
            report.append("\(e.name): max |analytic − numeric| = \(worst)")
        }
        print(report.joined(separator: "\n"))
    }

    @Test func gradientIsScaledByLossScale() {
        let model = tinyModel()
        let batch = tinyBatch()
        model.forward(batch, mode: .eval)
        model.backward(lossScale: 1)
        let unit = model.gradients.toArray()
        model.zeroGradients()
        model.forward(batch, mode: .eval)
        model.backward(lossScale: 0.25)
        for i in stride(from: 0, to: unit.count, by: 7) {
            assertClose(Double(model.gradients[i]), 0.25 * Double(unit[i]), relativeTolerance: 1e-6,
                        absoluteTolerance: 1e-9, "gradient[\(i)]")
        }
    }
}
