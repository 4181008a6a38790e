import Foundation
import Testing
import TxfCore
@testable import TxfModel

/// A tiny BERT classifier evaluated outside txf: Fixtures/reference.json, written by
/// Fixtures/make_reference.py (float64 NumPy transcription of Hugging Face's
/// BertForSequenceClassification in eval mode, gradients by float64 central differences).
private struct Reference: Decodable {
    let config: ModelConfig
    let tokens: [[Int32]]
    let tokenTypeIds: [[Int32]]
    let lengths: [Int]
    let labels: [Int32]
    let params: [String: [Double]]
    let logits: [[Double]]
    let lossSum: Double
    let grads: [String: [Double]]

    enum CodingKeys: String, CodingKey {
        case config, tokens, lengths, labels, params, logits, grads
        case tokenTypeIds = "token_type_ids", lossSum = "loss_sum"
    }

    static func load() throws -> Reference {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/reference.json")
        return try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }
}

@Suite struct ReferenceTests {
    /// Same weights (by Hugging Face name) and padded batch with token types: txf's logits and
    /// loss match the float64 reference to Float precision, and its backward matches the
    /// reference gradients for every element of every tensor. Tolerances: the Float forward
    /// carries ~1e-6 relative rounding, the Float backward ~1e-5 relative through 2 blocks;
    /// 1e-4 relative + 1e-5 absolute leaves margin while any wrong term is off by far more.
    @Test func matchesNumPyBertForSequenceClassification() throws {
        let ref = try Reference.load()
        let s = ref.tokens[0].count
        let model = try BertClassifier(config: ref.config, maxBatch: ref.lengths.count, maxSeqLen: s)
        #expect(Set(ref.params.keys) == Set(model.table.entries.map(\.name)))
        for (name, values) in ref.params {
            let p = model.parameter(name)
            #expect(p.count == values.count, "\(name)")
            for i in 0 ..< p.count { p[i] = Float(values[i]) }
        }
        let batch = MicroBatch(tokens: ref.tokens.flatMap { $0 }, lengths: ref.lengths, seqLen: s, labels: ref.labels,
                               sampleIndices: Array(ref.lengths.indices), tokenTypes: ref.tokenTypeIds.flatMap { $0 })
        let loss = model.forward(batch, mode: .eval)
        assertClose(loss, ref.lossSum, relativeTolerance: 1e-5, absoluteTolerance: 1e-6, "loss sum")
        let labels = ref.config.numLabels
        for b in 0 ..< ref.lengths.count {
            for c in 0 ..< labels {
                assertClose(Double(model.logits[b * labels + c]), ref.logits[b][c], relativeTolerance: 1e-5,
                            absoluteTolerance: 1e-5, "logits[\(b), \(c)]")
            }
        }
        model.zeroGradients()
        model.backward(lossScale: 1)
        var report: [String] = []
        for e in model.table.entries {
            let expected = ref.grads[e.name]!, got = model.gradient(e.name)!
            var worst = 0.0
            for i in 0 ..< e.count {
                worst = max(worst, abs(Double(got[i]) - expected[i]))
                assertClose(Double(got[i]), expected[i], relativeTolerance: 1e-4, absoluteTolerance: 1e-5, "∂\(e.name)[\(i)]")
            }
            report.append("\(e.name): max |txf − reference| = \(worst)")
        }
        print(report.joined(separator: "\n"))
    }
}
