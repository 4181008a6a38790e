import Foundation
import Testing
import TxfCore
@testable import TxfModel

@Suite struct ModelConfigTests {
    /// all-MiniLM-L6-v2's config.json as Hugging Face ships it.
    static let miniLMJSON = """
    {"_name_or_path": "nreimers/MiniLM-L6-H384-uncased", "architectures": ["BertModel"],
     "attention_probs_dropout_prob": 0.1, "gradient_checkpointing": false, "hidden_act": "gelu",
     "hidden_dropout_prob": 0.1, "hidden_size": 384, "initializer_range": 0.02, "intermediate_size": 1536,
     "layer_norm_eps": 1e-12, "max_position_embeddings": 512, "model_type": "bert", "num_attention_heads": 12,
     "num_hidden_layers": 6, "pad_token_id": 0, "position_embedding_type": "absolute",
     "transformers_version": "4.8.2", "type_vocab_size": 2, "use_cache": true, "vocab_size": 30522}
    """

    @Test func readsHuggingFaceConfig() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("txf-config-\(UUID()).json")
        try Self.miniLMJSON.write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        let c = try ModelConfig(contentsOf: url)
        #expect(c == ModelConfig(vocabSize: 30522, hiddenSize: 384, numHiddenLayers: 6, numAttentionHeads: 12,
                                 intermediateSize: 1536))
        #expect(c.headSize == 32 && c.numLabels == 2 && c.layerNormEps == 1e-12)
        // Round trip through txf's own JSON (HF keys).
        let again = try JSONDecoder().decode(ModelConfig.self, from: try c.jsonData())
        #expect(again == c)
        let text = String(decoding: try c.jsonData(), as: UTF8.self)
        #expect(text.contains("\"num_labels\" : 2") && text.contains("\"model_type\" : \"bert\""))
    }

    @Test func numLabelsFallsBackToId2label() throws {
        let json = #"{"vocab_size": 10, "hidden_size": 4, "num_hidden_layers": 1, "num_attention_heads": 2,"#
            + #" "intermediate_size": 8, "id2label": {"0": "neg", "1": "neutral", "2": "pos"}}"#
        let c = try JSONDecoder().decode(ModelConfig.self, from: Data(json.utf8))
        #expect(c.numLabels == 3 && c.maxPositionEmbeddings == 512 && c.hiddenDropoutProb == 0.1)
    }

    /// classifier_pooling: absent reads as cls and cls is not written (a BERT config's text is
    /// unchanged); mean round-trips; anything else is refused naming the key.
    @Test func poolingIsWrittenOnlyForMean() throws {
        let json = #"{"vocab_size": 10, "hidden_size": 4, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 8"#
        let plain = try JSONDecoder().decode(ModelConfig.self, from: Data((json + "}").utf8))
        #expect(plain.pooling == .cls)
        #expect(!String(decoding: try plain.jsonData(), as: UTF8.self).contains("classifier_pooling"))
        var mean = plain
        mean.pooling = .mean
        let text = String(decoding: try mean.jsonData(), as: UTF8.self)
        #expect(text.contains("\"classifier_pooling\" : \"mean\""))
        #expect(try JSONDecoder().decode(ModelConfig.self, from: try mean.jsonData()) == mean)
        #expect(throws: TxfError("config: classifier_pooling \"first\" is not supported (\"cls\" or \"mean\")")) {
            try JSONDecoder().decode(ModelConfig.self, from: Data((json + #", "classifier_pooling": "first"}"#).utf8))
        }
    }

    @Test func rejectsWhatTheModelCannotRun() throws {
        var c = ModelConfig(vocabSize: 10, hiddenSize: 6, numHiddenLayers: 1, numAttentionHeads: 4, intermediateSize: 8)
        #expect(throws: TxfError("config: hidden_size 6 is not divisible by num_attention_heads 4")) { try c.validate() }
        c.numAttentionHeads = 3
        c.hiddenDropoutProb = 1
        #expect(throws: TxfError("config: hidden_dropout_prob must be in [0, 1), got 1.0")) { try c.validate() }
        let json = #"{"vocab_size": 10, "hidden_size": 4, "num_hidden_layers": 1, "num_attention_heads": 2,"#
            + #" "intermediate_size": 8, "hidden_act": "relu"}"#
        #expect(throws: TxfError.self) { try JSONDecoder().decode(ModelConfig.self, from: Data(json.utf8)) }
        #expect(throws: TxfError.self) {
            try BertClassifier(config: ModelConfig(vocabSize: 10, hiddenSize: 4, numHiddenLayers: 1, numAttentionHeads: 2,
                                                   intermediateSize: 8, maxPositionEmbeddings: 16), maxBatch: 1, maxSeqLen: 17)
        }
    }
}

@Suite struct ParameterTableTests {
    @Test func miniLMHasHuggingFaceNamesAndCount() {
        let c = ModelConfig(vocabSize: 30522, hiddenSize: 384, numHiddenLayers: 6, numAttentionHeads: 12, intermediateSize: 1536)
        let t = ParameterTable.bertClassifier(c)
        // BertModel all-MiniLM-L6-v2: 22,713,216 parameters, plus the classifier 2·384 + 2.
        #expect(t.totalCount == 22_713_216 + 770)
        #expect(t.trainableCount == t.totalCount)
        #expect(t.entries.count == 5 + 6 * 16 + 4)
        #expect(t.entries.first?.name == "embeddings.word_embeddings.weight")
        #expect(t["encoder.layer.5.intermediate.dense.weight"]?.shape == [1536, 384])
        #expect(t["encoder.layer.5.output.dense.weight"]?.shape == [384, 1536])
        #expect(t["classifier.weight"]?.shape == [2, 384])
        // Contiguous, in order.
        var offset = 0
        for e in t.entries { #expect(e.offset == offset); offset += e.count }
        #expect(t["encoder.layer.0.attention.self.query.weight"]?.decays == true)
        #expect(t["embeddings.word_embeddings.weight"]?.decays == true)
        #expect(t["encoder.layer.0.attention.self.query.bias"]?.decays == false)
        #expect(t["encoder.layer.0.attention.output.LayerNorm.weight"]?.decays == false)
    }

    @Test func trainableTensorsComeFirst() {
        let t = ParameterTable([.init(name: "a.weight", shape: [2, 3], trainable: false),
                                .init(name: "b.weight", shape: [4]), .init(name: "b.bias", shape: [2])])
        #expect(t.entries.map(\.name) == ["b.weight", "b.bias", "a.weight"])
        #expect(t.entries.map(\.offset) == [0, 4, 6])
        #expect(t.trainableCount == 6 && t.totalCount == 12)
        #expect(t["a.weight"]?.range == 6 ..< 12)
    }
}

@Suite struct FLOPsTests {
    @Test func countsMatmulAttentionAndHead() {
        let c = ModelConfig(vocabSize: 30522, hiddenSize: 384, numHiddenLayers: 6, numAttentionHeads: 12, intermediateSize: 1536)
        // MiniLM: 6 · (4·384² + 2·384·1536) = 10,616,832 multiply weights per token.
        #expect(c.matmulParametersPerToken == 10_616_832)
        // One sequence of 2 tokens: 6·P·2 + 12·6·384·4 + 6·(384² + 2·384).
        let matmul: Double = 6 * 10_616_832 * 2
        let attention: Double = 12 * 6 * 384 * 4
        let head: Double = 6 * (384 * 384 + 2 * 384)
        #expect(c.trainingFLOPs(lengths: [2]) == matmul + attention + head)
    }
}
