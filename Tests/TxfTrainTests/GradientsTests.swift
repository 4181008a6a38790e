import Foundation
import Testing
import TxfCore
import TxfData
import TxfDist
import TxfHDF5
import TxfModel
@testable import TxfEval
@testable import TxfStore
@testable import TxfTrain

@Suite struct GradientsTests {
    let fixture = TrainFixture.paths

    /// `txf gradients` on rows 3:11: the file reads back with the loss, logits, ids and one
    /// gradient per tensor under its Hugging Face name, equal to the model's own backward of the
    /// mean loss; a few of the largest elements also match central differences of that loss.
    @Test func fileHoldsTheModelsLossLogitsAndEveryGradient() throws {
        let dataset = try TokenDataset(path: fixture.dev)
        let rows = 3 ..< 11
        let dump = try GradientDump.compute(modelPath: LoRAFixture.base, dataset: dataset, rows: rows)
        let path = TrainFixture.runDirectory("gradients") + ".h5"
        try dump.write(to: path, modelPath: LoRAFixture.base, dataPath: fixture.dev, rows: rows)

        let stored = try StoredModel(path: LoRAFixture.base)
        let batch = try dataset.readRows(Array(rows))
        let model = try BertClassifier(config: stored.config, maxBatch: 8, maxSeqLen: batch.seqLen)
        model.parameters.pointer.update(from: stored.parameters.pointer, count: stored.table.totalCount)
        let input = batch
        let loss = model.forward(input, mode: .eval) / 8
        model.backward(lossScale: 1.0 / 8)

        let file = try H5File.open(path)
        #expect(try file.stringAttribute("txf_kind") == "gradients" && file.stringAttribute("rows") == "3:11")
        #expect(try file.readDataset("loss", as: Double.self) == [loss])
        #expect(try file.readDataset("logits", as: Float.self) == Array(model.logits))
        #expect(try file.readDataset("labels", as: Int32.self) == batch.labels)
        #expect(try file.readDataset("input_ids", as: Int32.self) == batch.tokens)
        let group = try file.openGroup("gradients")
        defer { group.close() }
        #expect(dump.gradients.count == model.table.entries.count)
        for e in model.table.entries {
            let name = e.name.hasPrefix("classifier.") ? e.name : "bert." + e.name
            let dataset = try group.openDataset(name)
            #expect(dataset.shape == e.shape, "\(name)")
            #expect(try dataset.read(as: Float.self) == Array(model.gradient(e.name)!), "\(name)")
            dataset.close()
        }
        // Central differences of the mean loss at the largest gradient element of a few tensors.
        for name in ["classifier.weight", "pooler.dense.weight", "encoder.layer.0.attention.self.value.weight",
                     "embeddings.word_embeddings.weight"] {
            let g = model.gradient(name)!
            let i = g.indices.max { abs(g[$0]) < abs(g[$1]) }!
            let p = model.parameter(name).baseAddress! + i
            let original = p.pointee, step: Float = 1e-2
            p.pointee = original + step
            let up = model.forward(input, mode: .eval) / 8
            p.pointee = original - step
            let down = model.forward(input, mode: .eval) / 8
            p.pointee = original
            let numeric = (up - down) / (Double(original + step) - Double(original - step))
            assertClose(Double(g[i]), numeric, relativeTolerance: 2e-2, absoluteTolerance: 1e-5, "\(name)[\(i)]")
        }
    }

    /// A LoRA checkpoint dumps its adapters' and head's gradients, under bert.…lora_A/B names.
    @Test func loraCheckpointDumpsAdapterGradients() throws {
        let out = TrainFixture.runDirectory("gradients-lora")
        try Trainer(config: LoRAFixture.config(out: out, steps: 2), communicator: SingleProcessCommunicator()).run { _ in }
        let dump = try GradientDump.compute(modelPath: out + "/final.h5", dataset: try TokenDataset(path: fixture.dev), rows: 0 ..< 4)
        let names = dump.gradients.map(\.name)
        #expect(names.contains("bert.encoder.layer.0.output.dense.lora_B.weight") && names.contains("classifier.bias"))
        #expect(names.count == 2 * 6 + 2)
        #expect(dump.gradients.allSatisfy { $0.values.contains { $0 != 0 } })
    }

    /// transformers (float64, from `export-hf`) gives the same loss, logits and gradients for
    /// every tensor as the file: float32 against float64, so relative 1e-4 of each tensor's
    /// largest element.
    @Test(.enabled(if: HFPython.torchAvailable, "needs python3 with torch and transformers"))
    func gradientsMatchTransformers() throws {
        let rows = 0 ..< 8
        let dump = try GradientDump.compute(modelPath: LoRAFixture.base, dataset: try TokenDataset(path: fixture.dev), rows: rows)
        let path = TrainFixture.runDirectory("gradients-hf") + ".h5", directory = TrainFixture.runDirectory("gradients-hf-export")
        try dump.write(to: path, modelPath: LoRAFixture.base, dataPath: fixture.dev, rows: rows)
        _ = try HFExport.run(modelPath: LoRAFixture.base, outputDirectory: directory)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/hf_gradients.py").path
        let python = try Python.run([script, directory, path])
        try #require(python.status == 0, "hf_gradients.py exited with \(python.status)")
        let line = python.lines.last ?? ""
        let out = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(out["missing"] as? [String] == [] && out["extra"] as? [String] == [])
        assertClose(dump.loss, (out["loss"] as? Double) ?? .nan, relativeTolerance: 1e-5, absoluteTolerance: 0, "loss")
        let tensors = out["tensors"] as? [String: [String: Double]] ?? [:]
        #expect(tensors.count == dump.gradients.count)
        for (name, stats) in tensors.sorted(by: { $0.key < $1.key }) {
            let diff = stats["max_abs_diff"] ?? .nan, scale = stats["max_abs"] ?? 0
            #expect(diff <= 1e-4 * scale + 1e-9, "\(name): max |diff| \(diff) against max |grad| \(scale)")
        }
    }
}
