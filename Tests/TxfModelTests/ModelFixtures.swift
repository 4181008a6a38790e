import TxfCore
import TxfMatmul
@testable import TxfModel

/// The tiny model of the whole-model tests: 2 post-LN blocks, hidden 8, 2 heads, FFN 32,
/// vocabulary 20, 3 classes, dropout on. Weights drawn with std 0.5 (not BERT's 0.02) so every
/// nonlinearity works away from its linear regime and gradients are well above FD noise.
func tinyConfig(hiddenDropout: Float = 0.1, attentionDropout: Float = 0.1) -> ModelConfig {
    ModelConfig(vocabSize: 20, hiddenSize: 8, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 32,
                maxPositionEmbeddings: 8, typeVocabSize: 2, layerNormEps: 1e-12, hiddenDropoutProb: hiddenDropout,
                attentionProbsDropoutProb: attentionDropout, initializerRange: 0.5, numLabels: 3)
}

func tinyModel(maxBatch: Int = 4, maxSeqLen: Int = 6, config: ModelConfig = tinyConfig(),
               trainable: (String) -> Bool = { _ in true }, matmul: MatmulMode = .openBLAS,
               masking: TokenMasking? = nil) -> BertClassifier {
    let model = try! BertClassifier(config: config, maxBatch: maxBatch, maxSeqLen: maxSeqLen, trainable: trainable,
                                    matmul: matmul, masking: masking)
    model.initializeWeights(seed: 5)
    // Give biases and LayerNorm parameters values too, so their gradients are exercised
    // away from the special point 0 / 1.
    let key = RandomKey(seed: 99)
    for (n, e) in model.table.entries.enumerated() where e.name.hasSuffix(".bias") || e.name.contains("LayerNorm") {
        let p = model.parameter(e.name)
        for i in 0 ..< p.count { p[i] += 0.2 * (2 * key.with(UInt64(n)).uniform(UInt64(i)) - 1) }
    }
    model.parametersDidChange()
    return model
}

/// Four labelled rows of lengths 5, 2, 4, 6 (token 0 is [PAD], 1 is [CLS]).
let tinyRows: [[Int32]] = [[1, 7, 12, 5, 2], [1, 2], [1, 19, 3, 2], [1, 4, 4, 9, 16, 2]]
let tinyLabels: [Int32] = [0, 2, 1, 1]

/// Rows `range` of `tinyRows` as a micro-batch padded to its own longest row, with their
/// indices in the global batch.
func tinyBatch(_ range: Range<Int> = 0 ..< 4) -> MicroBatch {
    MicroBatch(rows: Array(tinyRows[range]), labels: Array(tinyLabels[range]), sampleIndices: Array(range))
}
