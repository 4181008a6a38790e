import Foundation
import Testing
import TxfCore
@testable import TxfModel

/// The memory estimate (`ModelConfig+Memory.swift`) against hand counts and against what the
/// model really allocates, and the range checks that keep sizes from overflowing.
@Suite struct SizeEstimateTests {
    static let miniLM = ModelConfig(vocabSize: 30522, hiddenSize: 384, numHiddenLayers: 6, numAttentionHeads: 12,
                                    intermediateSize: 1536, numLabels: 2)

    /// all-MiniLM-L6-v2 with a two-class head, counted tensor by tensor as Hugging Face lists them.
    @Test func miniLMParametersByHand() {
        let v = 30522, d = 384, f = 1536, p = 512, n = 6, labels = 2
        let embeddings = v * d + p * d + 2 * d + (d + d)       // word, position, token type, LayerNorm γ β
        let attention = 3 * (d * d + d) + (d * d + d) + 2 * d  // Q K V, output dense, LayerNorm
        let ffn = (f * d + f) + (d * f + d) + 2 * d            // intermediate, output dense, LayerNorm
        let head = (d * d + d) + (labels * d + labels)         // pooler, classifier
        let total = embeddings + n * (attention + ffn) + head
        #expect(total == 22_713_986)
        #expect(Self.miniLM.parameterCount() == Double(total))
        #expect(ParameterTable.bertClassifier(Self.miniLM).totalCount == total)
    }

    /// The formula equals the table's count for assorted shapes, with and without LoRA.
    @Test func parameterCountMatchesTheTable() {
        let configs = [
            ModelConfig(vocabSize: 37, hiddenSize: 16, numHiddenLayers: 3, numAttentionHeads: 4, intermediateSize: 24,
                        maxPositionEmbeddings: 20, typeVocabSize: 3, numLabels: 5),
            ModelConfig(vocabSize: 5, hiddenSize: 2, numHiddenLayers: 1, numAttentionHeads: 1, intermediateSize: 7,
                        maxPositionEmbeddings: 3, numLabels: 2),
        ]
        let loras: [LoRAConfig?] = [nil, LoRAConfig(rank: 2), LoRAConfig(rank: 1, targets: LoRATarget.allCases, trainPooler: true)]
        var maskedLM = configs[0]
        maskedLM.head = .maskedLM
        for config in configs + [maskedLM] {
            for lora in config.head == .maskedLM ? [nil] : loras {
                let table = ParameterTable.bertClassifier(config, lora: lora, trainable: { _ in true })
                let estimate = config.memoryEstimate(maxBatch: 1, maxSeqLen: 1, lora: lora, workload: .training)
                #expect(estimate.parameters == Double(table.totalCount), "\(config) \(String(describing: lora))")
                #expect(estimate.tensors == Double(table.entries.count))
                let trained = ParameterTable.bertClassifier(config, lora: lora) { _ in true }.entries
                    .filter { lora?.isTrainable($0.name) ?? true }.reduce(0) { $0 + $1.count }
                #expect(estimate.trainable == Double(trained))
            }
        }
    }

    /// Activation bytes are what `Activations` and `LoRAAdapters` allocate, plus the input
    /// buffers (8 bytes per token, 44 per row).
    @Test func activationsMatchTheModel() throws {
        let config = ModelConfig(vocabSize: 30, hiddenSize: 8, numHiddenLayers: 2, numAttentionHeads: 2,
                                 intermediateSize: 12, maxPositionEmbeddings: 10, numLabels: 3)
        let (batch, length) = (3, 7), inputs = Double(8 * batch * length + 44 * batch)
        let plain = try BertClassifier(config: config, maxBatch: batch, maxSeqLen: length)
        let estimate = config.memoryEstimate(maxBatch: batch, maxSeqLen: length, lora: nil, workload: .training)
        #expect(estimate.activationBytes == Double(plain.activationBytes) + inputs)
        #expect(estimate.parameterBytes == Double(4 * plain.table.totalCount))
        #expect(estimate.optimizerBytes == Double(8 * plain.table.trainableCount))
        // Without adapter dropout LoRA holds no masks, so its floats are all it adds.
        let lora = LoRAConfig(rank: 2, dropout: 0, targets: LoRATarget.allCases)
        let adapted = try BertClassifier(config: config, maxBatch: batch, maxSeqLen: length, lora: lora)
        #expect(config.memoryEstimate(maxBatch: batch, maxSeqLen: length, lora: lora, workload: .training).activationBytes
                == Double(adapted.activationBytes) + inputs)
        // The masked-LM head's buffers (`MaskedLMHead.floatCount` and its picks) are counted too.
        var maskedLM = config
        maskedLM.head = .maskedLM
        let masking = TokenMasking(maskId: 4, clsId: 2, sepId: 3, padId: 0, vocabSize: config.vocabSize)
        let pretraining = try BertClassifier(config: maskedLM, maxBatch: batch, maxSeqLen: length, masking: masking)
        let mlmEstimate = maskedLM.memoryEstimate(maxBatch: batch, maxSeqLen: length, lora: nil, workload: .training)
        #expect(mlmEstimate.activationBytes == Double(pretraining.activationBytes) + inputs)
        #expect(mlmEstimate.parameterBytes == Double(4 * pretraining.table.totalCount))
    }

    @Test func absurdModelsAreRefusedNamingTheSize() {
        var deep = Self.miniLM
        deep.numHiddenLayers = 1_000_000_000
        let names: (SizeFactor) -> String? = { "--" + $0.rawValue }
        #expect(throws: TxfError.self) {
            try deep.checkFits(maxBatch: 32, maxSeqLen: 128, lora: nil, workload: .training, name: names)
        }
        do {
            try deep.checkFits(maxBatch: 32, maxSeqLen: 128, lora: nil, workload: .training, name: names)
        } catch let error as TxfError {
            #expect(error.message.hasPrefix("--num_hidden_layers 1000000000: the model would have 1.8e15 parameters"), "\(error.message)")
        } catch { Issue.record("\(error)") }
        // MiniLM training at batch 32 × 128 fits (about 1.2 GiB) on any machine that runs the tests.
        #expect(throws: Never.self) {
            try Self.miniLM.checkFits(maxBatch: 32, maxSeqLen: 128, lora: nil, workload: .training, name: names)
        }
        // Ranks sharing the host multiply the need.
        var wide = Self.miniLM
        wide.hiddenSize = 3_000_000
        #expect(throws: TxfError.self) {
            try wide.checkFits(maxBatch: 1, maxSeqLen: 1, lora: nil, workload: .inference, name: names)
        }
    }

    @Test func rangesAreCheckedBeforeAnyArithmetic() {
        var c = Self.miniLM
        c.hiddenSize = 1 << 62
        #expect(throws: TxfError("config: hidden_size 4611686018427387904 is out of range (at most 2147483647)")) { try c.validate() }
        c = Self.miniLM
        c.maxPositionEmbeddings = Int.max
        #expect(throws: TxfError.self) { try c.validate() }
        c = Self.miniLM
        c.numHiddenLayers = Int(Int32.max)  // every size in range, but 3.8e15 parameters
        #expect(throws: TxfError.self) { try c.validate() }
        #expect(CheckedArithmetic.product([1 << 32, 1 << 31]) == nil)
        #expect(CheckedArithmetic.product([1 << 31, 1 << 31]) == 1 << 62)
        #expect(CheckedArithmetic.sum(Int.max, 1) == nil)
    }

    @Test func loraRankIsBoundedByTheWeights() throws {
        let config = ModelConfig(vocabSize: 30, hiddenSize: 8, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 12)
        #expect(throws: Never.self) { try LoRAConfig(rank: 8).validate(for: config) }
        #expect(throws: TxfError.self) { try LoRAConfig(rank: 9).validate(for: config) }
    }

    @Test func messagesShowSizesReadably() {
        #expect(MemoryBound.text(bytes: 24 * 1024 * 1024 * 1024) == "24 GiB")
        #expect(MemoryBound.text(bytes: 1536) == "1.5 KiB")
        #expect(MemoryBound.text(count: 22_713_986) == "22,713,986")
        #expect(MemoryBound.text(count: 7.1e15) == "7.1e15")
    }
}
