import Testing
@testable import TxfModel

@Suite struct LoRAFLOPsTests {
    /// D 8, N 2, F 32, L 3; r 2 on query and value; lengths 3 and 5 (8 tokens, Σlen² 34).
    /// P = N(4D² + 2DF) = 1536. Per token: 4P − 6D² + 6r·Σ(in+out)·N = 6144 − 384 + 768 = 6528;
    /// × 8 tokens = 52,224. Attention 12·N·D·34 = 6,528. Head per sequence, pooler frozen:
    /// 4D² + 6LD = 400, × 2 = 800. Total 59,552 (full fine-tuning: 81,312).
    @Test func countsForwardInputGradientsAndAdaptersOnly() {
        let config = ModelConfig(vocabSize: 20, hiddenSize: 8, numHiddenLayers: 2, numAttentionHeads: 2,
                                 intermediateSize: 32, numLabels: 3)
        let lora = LoRAConfig(rank: 2, alpha: 4, targets: [.query, .value])
        #expect(lora.trainingFLOPs(config, lengths: [3, 5]) == 59_552)
        #expect(config.trainingFLOPs(lengths: [3, 5]) == 81_312)
        var withPooler = lora
        withPooler.trainPooler = true
        #expect(withPooler.trainingFLOPs(config, lengths: [3, 5]) == 59_552 + 2 * 2 * 64)
    }
}
