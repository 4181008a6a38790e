import Foundation
import Testing
import TxfCore
import TxfDist
import TxfModel
import TxfText
@testable import TxfEval
@testable import TxfStore
@testable import TxfTrain

/// Exported directories checked from outside txf by Tests/TxfTrainTests/Fixtures/hf_reference.py:
/// with numpy + safetensors, a float64 NumPy BERT (make_reference.py's transcription of Hugging
/// Face's BertForSequenceClassification) on the exported weights; with torch + transformers,
/// `from_pretrained` itself. Each part skips when its Python packages are missing.
enum HFPython {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/hf_reference.py").path

    static let numpyAvailable = Python.has("numpy, safetensors")
    static let torchAvailable = Python.has("torch, transformers")

    /// Runs the script in `mode` on `directory` with `input` (JSON-encoded into a file) and
    /// returns its JSON output.
    static func reference(_ mode: String, _ directory: String, input: Any) throws -> [String: Any] {
        let inputPath = HFFixture.temporary("input.json")
        try JSONSerialization.data(withJSONObject: input).write(to: URL(fileURLWithPath: inputPath))
        defer { unlink(inputPath) }
        let python = try Python.run([script, mode, directory, inputPath])
        try #require(python.status == 0, "hf_reference.py \(mode) exited with \(python.status)")
        let lastLine = python.lines.last ?? ""
        return try #require(try JSONSerialization.jsonObject(with: Data(lastLine.utf8)) as? [String: Any])
    }

    /// txf's own logits (eval mode) of `model` for `rows` ([CLS] ... [SEP] ids), [rows][labels].
    static func txfLogits(_ model: StoredModel, rows: [[Int32]]) throws -> [[Float]] {
        let longest = rows.map(\.count).max()!
        let net = try BertClassifier(config: model.config, maxBatch: rows.count, maxSeqLen: longest)
        net.parameters.pointer.update(from: model.parameters.pointer, count: model.table.totalCount)
        _ = net.forward(MicroBatch(rows: rows, labels: nil, padID: Int32(model.config.padTokenId)), mode: .eval)
        let l = model.config.numLabels
        return (0 ..< rows.count).map { Array(net.logits[$0 * l ..< ($0 + 1) * l]) }
    }

    static func doubles(_ value: Any?) -> [[Double]] {
        (value as? [[Any]] ?? []).map { $0.map { ($0 as? NSNumber)?.doubleValue ?? .nan } }
    }
}

@Suite struct HFReferenceTests {
    /// A tiny exported model with a trained-looking (non-zero) head and varied rows, incl. padding.
    func exportedTinyModel() throws -> (model: StoredModel, directory: String) {
        let (source, _) = try HFFixture.directory(withClassifier: true)
        let file = HFFixture.temporary("tiny.h5"), directory = HFFixture.temporary("tiny-export")
        _ = try HFImport.run(HFImportOptions(modelDirectory: source, output: file, labelNames: ["negative", "positive"]))
        _ = try HFExport.run(modelPath: file, outputDirectory: directory)
        return (try StoredModel(path: file), directory)
    }

    /// Tolerance: txf computes in Float, the reference in float64; logits of order 1 after two
    /// blocks differ by rounding only, ~1e-6. The contract is 1e-4 absolute.
    @Test(.enabled(if: HFPython.numpyAvailable, "needs python3 with numpy and safetensors"))
    func exportMatchesAFloat64NumPyBert() throws {
        let (model, directory) = try exportedTinyModel()
        let rows: [[Int32]] = [[2, 5, 20, 7, 3], [2, 3], [2, 30, 31, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 3], [2, 36, 0, 3]]
        let out = try HFPython.reference("numpy", directory, input: rows.map { $0.map(Int.init) })

        // Names, shapes and dtypes as transformers expects them.
        let tensors = try #require(out["tensors"] as? [String: [Any]])
        let expected = Dictionary(uniqueKeysWithValues: model.table.entries.map { (HFExport.hfName($0.name), $0.shape) })
        #expect(Set(tensors.keys) == Set(expected.keys))
        for (name, shape) in expected {
            #expect(tensors[name]?[0] as? String == "float32" && tensors[name]?[1] as? [Int] == shape, "\(name)")
        }
        #expect(tensors.keys.contains("bert.encoder.layer.1.attention.self.query.weight") && tensors.keys.contains("classifier.bias"))
        #expect(out["metadata"] as? [String: String] == ["format": "pt"])
        let config = try #require(out["config"] as? [String: Any])
        #expect(config["architectures"] as? [String] == ["BertForSequenceClassification"] && config["model_type"] as? String == "bert")
        #expect(config["id2label"] as? [String: String] == ["0": "negative", "1": "positive"])
        #expect(config["label2id"] as? [String: Int] == ["negative": 0, "positive": 1])
        let tokenizer = try #require(out["tokenizer_config"] as? [String: Any])
        #expect(tokenizer["tokenizer_class"] as? String == "BertTokenizer" && tokenizer["do_lower_case"] as? Bool == true)
        #expect(tokenizer["model_max_length"] as? Int == 16)
        #expect((out["special_tokens_map"] as? [String: String])?["cls_token"] == "[CLS]")

        let reference = HFPython.doubles(out["logits"])
        let ours = try HFPython.txfLogits(model, rows: rows)
        #expect(reference.count == rows.count)
        for (r, (a, e)) in zip(ours, reference).enumerated() {
            assertClose(a, e, relativeTolerance: 0, absoluteTolerance: 1e-4, "row \(r) logits")
        }
        // The logits are not trivially equal: rows differ from each other.
        #expect(Set(ours.map { $0[0] }).count == rows.count)
    }

    /// A LoRA checkpoint exports merged: the same safetensors bytes as exporting `txf merge`'s
    /// output, and the float64 NumPy BERT on the export gives the *unmerged* LoRA model's logits.
    @Test(.enabled(if: HFPython.numpyAvailable, "needs python3 with numpy and safetensors"))
    func loraCheckpointExportsMergedWithTheUnmergedLogits() throws {
        let (source, _) = try HFFixture.directory()
        let base = HFFixture.temporary("lora-base.h5")
        _ = try HFImport.run(HFImportOptions(modelDirectory: source, output: base, seed: 2))
        var c = TrainConfig()
        c.train = TrainFixture.paths.train; c.out = TrainFixture.runDirectory("hf-lora"); c.initFrom = base
        c.mode = .lora; c.loraRank = 2; c.loraAlpha = 4; c.loraDropout = 0; c.loraTargets = "query,value,intermediate"
        c.globalBatch = 16; c.maxSteps = 3; c.lr = 2e-2; c.seed = 9
        try Trainer(config: c, communicator: SingleProcessCommunicator()).run { _ in }
        let lora = c.out! + "/final.h5", merged = HFFixture.temporary("merged.h5")
        let direct = HFFixture.temporary("lora-export"), viaMerge = HFFixture.temporary("merged-export")
        _ = try HFExport.run(modelPath: lora, outputDirectory: direct)
        _ = try Merge.run(modelPath: lora, output: merged)
        _ = try HFExport.run(modelPath: merged, outputDirectory: viaMerge)
        #expect(FileManager.default.contents(atPath: direct + "/model.safetensors")
                == FileManager.default.contents(atPath: viaMerge + "/model.safetensors"))
        let exported = try SafeTensorsFile(path: direct + "/model.safetensors")
        #expect(!exported.names.contains { $0.contains("lora") })
        let query = "encoder.layer.0.attention.self.query.weight"
        #expect(try exported.floats("bert." + query) != Array(try StoredModel(path: base).tensor(query)), "the adapters are folded in")

        let checkpoint = try ModelArchive(path: lora, expecting: .checkpoint)
        let (table, parameters) = try Merge.loraParameters(checkpoint)
        let rows: [[Int32]] = [[2, 5, 20, 7, 3], [2, 3], [2, 30, 31, 8, 9, 10, 11, 12, 3]]
        let unmerged = try BertClassifier(config: checkpoint.meta.model, maxBatch: rows.count, maxSeqLen: 9, lora: checkpoint.meta.lora!.config)
        unmerged.parameters.pointer.update(from: parameters.pointer, count: table.totalCount)
        _ = unmerged.forward(MicroBatch(rows: rows, labels: nil, padID: 0), mode: .eval)
        let l = checkpoint.meta.model.numLabels
        let ours = (0 ..< rows.count).map { Array(unmerged.logits[$0 * l ..< ($0 + 1) * l]) }
        let reference = HFPython.doubles(try HFPython.reference("numpy", direct, input: rows.map { $0.map(Int.init) })["logits"])
        #expect(reference.count == rows.count)
        for (r, (a, e)) in zip(ours, reference).enumerated() {
            assertClose(a, e, relativeTolerance: 0, absoluteTolerance: 1e-4, "row \(r) logits")
        }
    }

    /// transformers loads the export with no missing, unexpected or mismatched keys, tokenizes
    /// like txf and gives txf's logits to 1e-4 (tiny model; MiniLM too when cached).
    @Test(.enabled(if: HFPython.torchAvailable, "needs python3 with torch and transformers"))
    func exportLoadsInTransformersWithTheSameLogits() throws {
        var cases: [(StoredModel, String)] = [try exportedTinyModel()]
        var scratch: [String] = []
        defer { for p in scratch { try? FileManager.default.removeItem(atPath: p) } }
        if let minilm = TestPaths.minilm {
            let file = HFFixture.temporary("minilm.h5"), directory = HFFixture.temporary("minilm-export")
            scratch = [file, directory]
            _ = try HFImport.run(HFImportOptions(modelDirectory: minilm, output: file, seed: 4))
            // A fresh head gives logits of ~0.03, where any error looks small: scale it so the
            // logits are of order 1 and a 1e-4 agreement means something.
            let model = try StoredModel(path: file)
            for i in model.tensor("classifier.weight").indices { model.tensor("classifier.weight")[i] *= 100 }
            _ = try HFExport.export(model, to: directory)
            cases.append((model, directory))
        }
        let texts = ["a gorgeous, witty film", "The plot is dull and flat.", "fun", "Ünïcödé café — naïve résumé!"]
        for (model, directory) in cases {
            let out = try HFPython.reference("torch", directory, input: texts)
            #expect(out["missing"] as? [String] == [] && out["unexpected"] as? [String] == [] && out["mismatched"] as? [String] == [],
                    "\(directory): \(out["missing"] ?? ""), \(out["unexpected"] ?? ""), \(out["mismatched"] ?? "")")
            // What `txf predict` computes: the model's own vocab and casing, eval mode.
            let predictions = try Predictor(stored: model, batchSize: texts.count).predict(texts)
            #expect((out["input_ids"] as? [[Int]]) == predictions.map { $0.tokenIds.map(Int.init) }, "\(directory): token ids")
            #expect(out["id2label"] as? [String: String] == Dictionary(uniqueKeysWithValues: model.labelNamesOrDefault.enumerated().map { (String($0), $1) }))
            let reference = HFPython.doubles(out["logits"])
            let ours = predictions.map(\.logits)
            for (r, (a, e)) in zip(ours, reference).enumerated() {
                assertClose(a, e, relativeTolerance: 0, absoluteTolerance: 1e-4, "\(directory) row \(r) logits")
            }
            #expect(reference.count == texts.count)
        }
    }
}
