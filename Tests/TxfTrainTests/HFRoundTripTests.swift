import Foundation
import TxfTestSupport
import Testing
import TxfCore
import TxfDist
import TxfHDF5
import TxfModel
import TxfText
@testable import TxfEval
@testable import TxfStore
@testable import TxfTrain

/// Tiny Hugging Face BERT directories written by the tests: config.json, TrainFixture's
/// vocab.txt (37 tokens) and a model.safetensors of random values.
enum HFFixture {
    static let config = ModelConfig(vocabSize: 37, hiddenSize: 8, numHiddenLayers: 2, numAttentionHeads: 2,
                                    intermediateSize: 16, maxPositionEmbeddings: 16, numLabels: 2)

    /// A tiny HF directory. Tensor values are random (uniform ±0.5, LayerNorm γ around 1) and,
    /// for F16 / BF16, exactly representable, so `values` (what txf must load) are exact.
    /// - Parameters:
    ///   - prefix: prepended to every encoder/pooler name ("bert." or "").
    ///   - withClassifier: also write `classifier.*` (never prefixed).
    ///   - extras: add `embeddings.position_ids` (I64) and `cls.predictions.bias`, which import ignores.
    ///   - edit: changes the (name, shape, values) list before writing (to make broken files).
    static func directory(prefix: String = "bert.", dtype: SafeTensorsDType = .f32, withClassifier: Bool = false,
                          extras: Bool = true, configPatch: [String: Any] = [:], seed: UInt64 = 7,
                          edit: (inout [(name: String, shape: [Int], values: [Float])]) -> Void = { _ in })
        throws -> (path: String, values: [String: [Float]]) {
        let dir = try TestScratch.directory("hf-fixture")
        var json = try JSONSerialization.jsonObject(with: try config.jsonData()) as! [String: Any]
        json["architectures"] = ["BertModel"]
        json.removeValue(forKey: "num_labels")
        for (k, v) in configPatch { json[k] = v }
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: dir + "/config.json"))
        try FileManager.default.copyItem(atPath: TrainFixture.paths.vocab, toPath: dir + "/vocab.txt")

        let key = RandomKey(seed: seed)
        var tensors: [(name: String, shape: [Int], values: [Float])] = []
        for (i, e) in ParameterTable.bertClassifier(config).entries.enumerated()
        where withClassifier || !e.name.hasPrefix("classifier.") {
            let k = key.with(UInt64(i))
            let values: [Float] = (0 ..< e.count).map { j in
                let x = Float(k.uniform(UInt64(j))) - 0.5 + (e.name.contains("LayerNorm.weight") ? 1 : 0)
                switch dtype {
                case .f16: return HalfFloat.f16ToFloat(f16Bits(x))
                case .bf16: return HalfFloat.bf16ToFloat(UInt16(x.bitPattern >> 16))
                default: return x
                }
            }
            tensors.append((e.name.hasPrefix("classifier.") ? e.name : prefix + e.name, e.shape, values))
        }
        edit(&tensors)
        var values: [String: [Float]] = [:]
        for t in tensors { values[t.name.hasPrefix("bert.") ? String(t.name.dropFirst(5)) : t.name] = t.values }

        // Raw little-endian bytes in the chosen dtype, then the extras.
        var blobs: [(String, SafeTensorsDType, [Int], [UInt8])] = tensors.map { t in
            var bytes: [UInt8] = []
            for x in t.values {
                switch dtype {
                case .f16: withUnsafeBytes(of: f16Bits(x).littleEndian) { bytes += $0 }
                case .bf16: withUnsafeBytes(of: UInt16(x.bitPattern >> 16).littleEndian) { bytes += $0 }
                default: withUnsafeBytes(of: x.bitPattern.littleEndian) { bytes += $0 }
                }
            }
            return (t.name, dtype, t.shape, bytes)
        }
        if extras {
            var ids: [UInt8] = []
            for p in 0 ..< Int64(config.maxPositionEmbeddings) { withUnsafeBytes(of: p.littleEndian) { ids += $0 } }
            blobs.insert((prefix + "embeddings.position_ids", .i64, [1, config.maxPositionEmbeddings], ids), at: 0)
            blobs.append(("cls.predictions.bias", .f32, [1], [0, 0, 128, 63]))
        }
        try writeBlobs(dir + "/model.safetensors", blobs)
        return (dir, values)
    }

    /// binary16 bits of `x` (|x| < 2, rounded toward zero: the test only needs some exact half).
    static func f16Bits(_ x: Float) -> UInt16 {
        if x == 0 { return 0 }
        let bits = x.bitPattern, sign = UInt16(bits >> 16) & 0x8000
        let exponent = Int((bits >> 23) & 0xFF) - 127
        guard exponent >= -14 else { return sign }
        return sign | UInt16(exponent + 15) << 10 | UInt16((bits >> 13) & 0x3FF)
    }

    static func writeBlobs(_ path: String, _ blobs: [(String, SafeTensorsDType, [Int], [UInt8])]) throws {
        let storage = blobs.map { $0.3 }
        func write(_ i: Int, _ done: [SafeTensorsWriter.Tensor]) throws {
            if i == blobs.count { return try SafeTensorsWriter.write(to: path, tensors: done, metadata: ["format": "pt"]) }
            try storage[i].withUnsafeBytes { raw in
                try write(i + 1, done + [.init(name: blobs[i].0, dtype: blobs[i].1, shape: blobs[i].2, bytes: raw)])
            }
        }
        try write(0, [])
    }

    static func temporary(_ name: String) -> String {
        TestScratch.path("hf-\(name)")
    }
}

/// The message of the `TxfError` `body` throws, or nil.
func hfErrorMessage(_ body: () throws -> Void) -> String? {
    do { try body() } catch let error as TxfError { return error.message } catch { return "\(error)" }
    return nil
}

@Suite struct HFRoundTripTests {
    func bits(_ buffer: FloatBuffer) -> [UInt32] { buffer.toArray().map(\.bitPattern) }

    /// import → export → import: every tensor, the vocab, labels and tokenizer attributes come
    /// back bit for bit, and the second export writes the same safetensors bytes.
    @Test func importExportImportIsBitIdentical() throws {
        let (source, values) = try HFFixture.directory()
        let first = HFFixture.temporary("first.h5"), exported = HFFixture.temporary("exported")
        let second = HFFixture.temporary("second.h5"), again = HFFixture.temporary("again")
        let summary = try HFImport.run(HFImportOptions(modelDirectory: source, output: first, seed: 3))
        #expect(summary.initialized == ["classifier.weight", "classifier.bias"])
        #expect(summary.ignored == ["bert.embeddings.position_ids", "cls.predictions.bias"])
        #expect(summary.loaded.count == ParameterTable.bertClassifier(HFFixture.config).entries.count - 2)
        #expect(summary.labelNames == ["LABEL_0", "LABEL_1"] && summary.lowercase)

        let a = try StoredModel(path: first)
        for name in summary.loaded {
            #expect(Array(a.tensor(name)).map(\.bitPattern) == values[name]!.map(\.bitPattern), "\(name)")
        }
        // The fresh head: HF's initialisation, N(0, 0.02²) weight, zero bias.
        #expect(a.tensor("classifier.bias").allSatisfy { $0 == 0 })
        let w = Array(a.tensor("classifier.weight"))
        #expect(w.allSatisfy { abs($0) < 0.1 } && Set(w).count == w.count)
        #expect(a.tokenizer?.vocabSHA256 == (try SHA256.hex(ofFile: TrainFixture.paths.vocab)))
        #expect(a.tokenizer?.lowercase == true && a.tokenizer?.padId == 0 && a.tokenizer?.clsId == 2)
        // Stored as text attributes, as files written before read them.
        let h5 = try H5File.open(first)
        #expect(try h5.stringAttribute("tokenizer_lowercase") == "1" && h5.stringAttribute("tokenizer_pad_id") == "0"
                && h5.stringAttribute("tokenizer_cls_id") == "2" && h5.stringAttribute("tokenizer_kind") == "bert-wordpiece")

        let exportSummary = try HFExport.run(modelPath: first, outputDirectory: exported)
        #expect(exportSummary.vocabHashMatches == true && exportSummary.tensorCount == a.table.entries.count)
        #expect(FileManager.default.contents(atPath: exported + "/vocab.txt") == FileManager.default.contents(atPath: TrainFixture.paths.vocab))
        let back = try HFImport.run(HFImportOptions(modelDirectory: exported, output: second, seed: 99))
        #expect(back.initialized.isEmpty && back.ignored.isEmpty, "the exported file holds the head; nothing is re-initialised")
        let b = try StoredModel(path: second)
        #expect(bits(a.parameters) == bits(b.parameters))
        #expect(a.vocab == b.vocab && a.labelNames == b.labelNames && a.tokenizer == b.tokenizer && a.config == b.config)

        _ = try HFExport.run(modelPath: second, outputDirectory: again)
        #expect(FileManager.default.contents(atPath: exported + "/model.safetensors")
                == FileManager.default.contents(atPath: again + "/model.safetensors"))
        let exportedFile = try SafeTensorsFile(path: exported + "/model.safetensors")
        #expect(exportedFile.names.first == "bert.embeddings.word_embeddings.weight" && exportedFile.names.last == "classifier.bias")
        #expect(exportedFile.entries.allSatisfy { $0.dtype == .f32 } && exportedFile.metadata == ["format": "pt"])
    }

    /// Names without `bert.` (BertModel, MiniLM) and F16 / BF16 data load exactly.
    @Test(arguments: [SafeTensorsDType.f16, .bf16, .f32])
    func unprefixedAndHalfPrecisionSourcesLoadExactly(dtype: SafeTensorsDType) throws {
        let (source, values) = try HFFixture.directory(prefix: "", dtype: dtype, withClassifier: true)
        let output = HFFixture.temporary("half.h5")
        let summary = try HFImport.run(HFImportOptions(modelDirectory: source, output: output))
        #expect(summary.initialized.isEmpty && summary.sourceDTypes == [dtype.rawValue])
        #expect(summary.ignored == ["embeddings.position_ids", "cls.predictions.bias"])
        let model = try StoredModel(path: output)
        for e in model.table.entries {
            #expect(Array(model.tensor(e.name)).map(\.bitPattern) == values[e.name]!.map(\.bitPattern), "\(e.name)")
        }
        // The values really are half-precision ones (not all-zero or plain floats).
        if dtype == .f16 { #expect(values["pooler.dense.weight"]!.allSatisfy { $0 == HalfFloat.f16ToFloat(HFFixture.f16Bits($0)) }) }
    }

    /// A BertForMaskedLM directory (bert-base-uncased's kind) imports as a classifier; the
    /// pooling is `--pooling`'s, else the config's `classifier_pooling`, else [CLS].
    @Test func headAndPoolingOfTheImport() throws {
        func imported(_ patch: [String: Any], pooling: Pooling?) throws -> ModelConfig {
            let (source, _) = try HFFixture.directory(configPatch: patch)
            let file = HFFixture.temporary("pooling.h5")
            _ = try HFImport.run(HFImportOptions(modelDirectory: source, output: file, pooling: pooling))
            return try StoredModel(path: file).config
        }
        let masked = try imported(["architectures": ["BertForMaskedLM"]], pooling: nil)
        #expect(masked.head == .classifier && masked.pooling == .cls)
        #expect(try imported([:], pooling: .mean).pooling == .mean)
        #expect(try imported(["classifier_pooling": "mean"], pooling: nil).pooling == .mean)
        #expect(try imported(["classifier_pooling": "mean"], pooling: .cls).pooling == .cls)
    }

    @Test func classifierInitialisationIsSeeded() throws {
        let (source, _) = try HFFixture.directory()
        func head(_ seed: UInt64) throws -> [Float] {
            let path = HFFixture.temporary("seed\(seed).h5")
            _ = try HFImport.run(HFImportOptions(modelDirectory: source, output: path, labelNames: ["neg", "neu", "pos"], seed: seed))
            let model = try StoredModel(path: path)
            #expect(model.config.numLabels == 3 && model.labelNames == ["neg", "neu", "pos"])
            return Array(model.tensor("classifier.weight"))
        }
        let one = try head(1), again = try head(1), two = try head(2)
        #expect(one == again && one != two && one.count == 3 * 8)
    }

    /// Casing: an explicit choice, else tokenizer_config.json's do_lower_case, else uncased;
    /// it is stored in the model file and written back as do_lower_case.
    @Test func casingComesFromTheOptionOrTokenizerConfig() throws {
        let (source, _) = try HFFixture.directory()
        func imported(_ lowercase: Bool?) throws -> (stored: Bool?, exported: Bool?) {
            let file = HFFixture.temporary("casing.h5"), out = HFFixture.temporary("casing")
            _ = try HFImport.run(HFImportOptions(modelDirectory: source, output: file, lowercase: lowercase))
            _ = try HFExport.run(modelPath: file, outputDirectory: out)
            let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/tokenizer_config.json"))) as? [String: Any]
            return (try StoredModel(path: file).tokenizer?.lowercase, config?["do_lower_case"] as? Bool)
        }
        #expect(try imported(nil) == (true, true))
        #expect(try imported(false) == (false, false))
        try #"{"do_lower_case": false, "tokenizer_class": "BertTokenizer"}"#.write(toFile: source + "/tokenizer_config.json", atomically: true, encoding: .utf8)
        #expect(try imported(nil) == (false, false))
        #expect(try imported(true) == (true, true))
    }

    @Test func brokenSourcesAreClearErrorsNamingTheTensor() throws {
        func importMessage(_ dir: String, numLabels: Int? = nil) -> String {
            hfErrorMessage { _ = try HFImport.run(HFImportOptions(modelDirectory: dir, output: HFFixture.temporary("x.h5"), numLabels: numLabels)) } ?? "(no error)"
        }
        let missing = try HFFixture.directory { $0.removeAll { $0.name == "bert.encoder.layer.1.output.dense.bias" } }.path
        #expect(importMessage(missing).contains("lacks tensor \"encoder.layer.1.output.dense.bias\""))
        let misshapen = try HFFixture.directory { t in
            let i = t.firstIndex { $0.name == "bert.encoder.layer.0.intermediate.dense.weight" }!
            t[i].shape = [8, 16]
        }.path
        let shapeMessage = importMessage(misshapen)
        #expect(shapeMessage.contains("\"bert.encoder.layer.0.intermediate.dense.weight\" has shape [8, 16] but config.json implies [16, 8]"), "\(shapeMessage)")
        let twice = try HFFixture.directory { t in t.append((name: "pooler.dense.bias", shape: [8], values: Array(repeating: 0, count: 8))) }.path
        #expect(importMessage(twice).contains("both \"bert.pooler.dense.bias\" and \"pooler.dense.bias\""))
        let head = try HFFixture.directory(withClassifier: true).path
        #expect(importMessage(head, numLabels: 5).contains("\"classifier.weight\" has shape [2, 8] but config.json implies [5, 8]"))
        let roberta = try HFFixture.directory(configPatch: ["model_type": "roberta"]).path
        #expect(importMessage(roberta).contains("model_type \"roberta\""))
        let bigVocab = try HFFixture.directory(configPatch: ["vocab_size": 40]).path
        #expect(importMessage(bigVocab).contains("has 37 tokens but"))
        let relu = try HFFixture.directory(configPatch: ["hidden_act": "relu"]).path
        #expect(importMessage(relu).contains("hidden_act \"relu\""))

        // A truncated or lying model.safetensors fails at import with its path and tensor.
        let (good, _) = try HFFixture.directory()
        let weights = good + "/model.safetensors"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: weights))
        try bytes.prefix(bytes.count - 10).write(to: URL(fileURLWithPath: weights))
        let truncated = importMessage(good)
        #expect(truncated.contains(weights) && truncated.contains("truncated") && truncated.contains("\"bert.pooler.dense.bias\""), "\(truncated)")
        try FileManager.default.removeItem(atPath: weights)
        #expect(importMessage(good).contains("has no model.safetensors"))
        #expect(importMessage("/nonexistent/txf-model").contains("has no config.json"))
    }

    /// The imported file is what `txf-train --init` reads; a trained checkpoint exports and
    /// re-imports with its label names and every tensor intact.
    @Test func importedModelTrainsAndItsCheckpointRoundTrips() throws {
        let (source, _) = try HFFixture.directory()
        let base = HFFixture.temporary("base.h5")
        _ = try HFImport.run(HFImportOptions(modelDirectory: source, output: base))
        #expect(try ModelArchive(path: base).meta.model == HFFixture.config)
        let table = ParameterTable.bertClassifier(HFFixture.config)
        let loaded = FloatBuffer(count: table.totalCount)
        #expect(try ModelArchive(path: base).loadParameters(table: table, into: loaded.pointer).isEmpty)

        var c = TrainConfig()
        c.train = TrainFixture.paths.train; c.out = TrainFixture.runDirectory("hf-init")
        c.initFrom = base; c.globalBatch = 16; c.maxSteps = 2; c.lr = 1e-3; c.seed = 5
        let trainer = try Trainer(config: c, communicator: SingleProcessCommunicator())
        #expect(trainer.model.parameters.toArray() == loaded.toArray(), "training starts from the imported weights")
        try trainer.run { _ in }

        let checkpoint = c.out! + "/final.h5", exported = HFFixture.temporary("trained"), back = HFFixture.temporary("back.h5")
        let summary = try HFExport.run(modelPath: checkpoint, outputDirectory: exported)
        let trained = try StoredModel(path: checkpoint)
        #expect(trained.kind == .checkpoint && summary.labelNames == trained.labelNames && !trained.labelNames.isEmpty)
        _ = try HFImport.run(HFImportOptions(modelDirectory: exported, output: back))
        let again = try StoredModel(path: back)
        #expect(bits(again.parameters) == bits(trained.parameters) && bits(trained.parameters) != bits(loaded))
        #expect(again.labelNames == trained.labelNames && again.vocab == trained.vocab)
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: exported + "/config.json"))) as! [String: Any]
        #expect(config["architectures"] as? [String] == ["BertForSequenceClassification"])
        #expect(config["label2id"] as? [String: Int] == Dictionary(uniqueKeysWithValues: trained.labelNames.enumerated().map { ($1, $0) }))
    }

    @Test(.enabled(if: TestPaths.minilm != nil, Comment(rawValue: TestPaths.minilmMissing)))
    func minilmImportExportImportIsBitIdentical() throws {
        let source = TestPaths.minilm!
        let first = HFFixture.temporary("minilm.h5"), exported = HFFixture.temporary("minilm-export"), second = HFFixture.temporary("minilm2.h5")
        defer { for p in [first, second, exported] { try? FileManager.default.removeItem(atPath: p) } }
        let summary = try HFImport.run(HFImportOptions(modelDirectory: source, output: first, seed: 1))
        #expect(summary.sourceSHA256 == "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db")
        #expect(summary.loaded.count == 103 && summary.ignored == ["embeddings.position_ids"])
        #expect(summary.config.numHiddenLayers == 6 && summary.config.hiddenSize == 384 && summary.config.vocabSize == 30522)
        let a = try StoredModel(path: first)
        let weights = try SafeTensorsFile(path: source + "/model.safetensors")
        for name in ["embeddings.word_embeddings.weight", "encoder.layer.5.output.LayerNorm.bias", "pooler.dense.weight"] {
            #expect(Array(a.tensor(name)) == (try weights.floats(name)), "\(name)")
        }
        _ = try HFExport.run(modelPath: first, outputDirectory: exported)
        #expect(FileManager.default.contents(atPath: exported + "/vocab.txt") == FileManager.default.contents(atPath: source + "/vocab.txt"))
        let back = try HFImport.run(HFImportOptions(modelDirectory: exported, output: second))
        #expect(back.initialized.isEmpty && back.loaded.count == 105)
        let b = try StoredModel(path: second)
        #expect(bits(a.parameters) == bits(b.parameters))
        #expect(a.tokenizer == b.tokenizer && a.vocab == b.vocab)
    }
}
