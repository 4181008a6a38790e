import Testing
import TxfCore
import TxfData
import TxfDist
import TxfMatmul
import TxfModel
@testable import TxfTrain

/// Mixed precision's master weights (`MasterWeights`): in the bf16 precisions AdamW updates
/// fp32 masters while the model computes with their bf16 roundings, and a checkpoint stores
/// the masters.
@Suite struct MasterWeightsTests {
    let config = ModelConfig(vocabSize: 40, hiddenSize: 8, numHiddenLayers: 1, numAttentionHeads: 2,
                             intermediateSize: 16, maxPositionEmbeddings: 8, numLabels: 2)

    private func step(matmul: MatmulMode) throws -> TrainingStep {
        let model = try BertClassifier(config: config, maxBatch: 4, maxSeqLen: 6, matmul: matmul)
        model.initializeWeights(seed: 3)
        return TrainingStep(model: model, communicator: SingleProcessCommunicator(),
                            layout: try BatchLayout(globalBatch: 4, worldSize: 1, microBatch: 4),
                            optimizer: AdamW(weightDecay: 0.01), seed: 1, maxGradNorm: 1)
    }

    private var batch: MicroBatch {
        MicroBatch(rows: [[2, 5, 7, 3], [2, 9, 3], [2, 11, 12, 13, 3], [2, 4, 3]], labels: [0, 1, 1, 0])
    }

    private func isBF16(_ x: Float) -> Bool { x.roundedToBFloat16.bitPattern == x.bitPattern }

    @Test func theModelComputesWithRoundedMastersAndACheckpointStoresTheMasters() throws {
        let bf16 = try step(matmul: .bf16Reference), fp32 = try step(matmul: .openBLAS)
        let trainable = bf16.model.table.trainableCount
        for k in 0 ..< 3 {
            _ = try bf16.run([batch], step: k, learningRate: 1e-3)
            _ = try fp32.run([batch], step: k, learningRate: 1e-3)
        }
        let used = bf16.model.parameters.toArray()
        #expect(used.prefix(trainable).allSatisfy(isBF16), "the trainable parameters are bf16 values")
        let stored = bf16.withCheckpointState { Array(UnsafeBufferPointer(start: $0, count: used.count)) }
        #expect(!stored.prefix(trainable).allSatisfy(isBF16), "a checkpoint holds the fp32 masters")
        #expect(stored.prefix(trainable).map(\.roundedToBFloat16) == Array(used.prefix(trainable)))
        #expect(stored.suffix(from: trainable) == used.suffix(from: trainable))
        #expect(bf16.model.parameters.toArray() == used, "writing a checkpoint leaves the model as it was")

        // Three small steps apart from fp32 by bf16's rounding only: close, not equal.
        let reference = fp32.model.parameters.toArray()
        #expect(stored != reference)
        assertClose(Array(stored.prefix(trainable)), Array(reference.prefix(trainable)), relativeTolerance: 0, absoluteTolerance: 2e-2,
                    "bf16 masters vs fp32 parameters")
    }

    @Test func fp32KeepsNoMastersAndStoresTheParameters() throws {
        let fp32 = try step(matmul: .openBLAS)
        _ = try fp32.run([batch], step: 0, learningRate: 1e-3)
        #expect(fp32.masters == nil)
        let stored = fp32.withCheckpointState { Array(UnsafeBufferPointer(start: $0, count: fp32.model.parameters.count)) }
        #expect(stored == fp32.model.parameters.toArray())
    }

    @Test func aCheckpointBeforeTheFirstStepStoresTheParametersAsLoaded() throws {
        let bf16 = try step(matmul: .bf16Reference)
        let loaded = bf16.model.parameters.toArray()
        let stored = bf16.withCheckpointState { Array(UnsafeBufferPointer(start: $0, count: loaded.count)) }
        #expect(stored == loaded)
    }
}
