import Foundation
import Testing
import TxfCore
import TxfData
import TxfDist
import TxfHDF5
import TxfModel
import TxfText
@testable import TxfEval
@testable import TxfStore
@testable import TxfTrain

/// A base model for the LoRA tests: 3 steps of full training on the fixture (1 block,
/// hidden 16), made once per test process.
enum LoRAFixture {
    static let base: String = {
        let out = TrainFixture.runDirectory("lora-base")
        var c = TrainConfig()
        c.train = TrainFixture.paths.train; c.out = out
        c.layers = 1; c.hidden = 16; c.heads = 2; c.ffn = 32; c.maxLength = 16
        c.globalBatch = 16; c.maxSteps = 3; c.lr = 3e-3; c.seed = 11
        do {
            try Trainer(config: c, communicator: SingleProcessCommunicator()).run { _ in }
        } catch { fatalError("cannot train the LoRA base: \(error)") }
        return out + "/final.h5"
    }()

    /// A LoRA run config over `base` (adapters on every target, so all branch paths run).
    static func config(out: String, base: String = base, steps: Int = 6) -> TrainConfig {
        var c = TrainConfig()
        c.train = TrainFixture.paths.train; c.eval = TrainFixture.paths.dev; c.out = out; c.initFrom = base
        c.mode = .lora; c.loraRank = 4; c.loraAlpha = 8; c.loraDropout = 0.1
        c.loraTargets = "query,key,value,attention.output,intermediate,output"
        c.globalBatch = 16; c.maxSteps = steps; c.lr = 1e-2; c.logEvery = 1; c.seed = 7
        return c
    }

    /// Logits of `model` on the first `rows` dev rows, eval mode.
    static func devLogits(_ model: BertClassifier, rows: Int = 16) throws -> [Float] {
        let dev = try TokenDataset(path: TrainFixture.paths.dev)
        let batch = try dev.readRows(Array(0 ..< rows))
        model.forward(batch, mode: .eval)
        return Array(model.logits)
    }
}

@Suite struct LoRATrainingTests {
    func train(_ c: TrainConfig) throws -> (Trainer, [TrainingEvent]) {
        let trainer = try Trainer(config: c, communicator: SingleProcessCommunicator())
        var events: [TrainingEvent] = []
        try trainer.run { events.append($0) }
        return (trainer, events)
    }

    /// Before its first step a LoRA run's model gives the base model's logits bit for bit; it
    /// trains only adapters and the classifier (gradient and moment buffers of exactly that
    /// size); frozen tensors stay bitwise the base's; the checkpoint holds only the trainable
    /// tensors plus the LoRA config and the base's path and sha256.
    @Test func startsAtTheBaseTrainsOnlyAdaptersAndHeadAndSavesOnlyThem() throws {
        let out = TrainFixture.runDirectory("lora-run")
        // fp32 on every CPU: the base's logits come from Predictor's fp32 products.
        var config = LoRAFixture.config(out: out)
        config.precision = .fp32
        let trainer = try Trainer(config: config, communicator: SingleProcessCommunicator())
        let base = try Predictor(path: LoRAFixture.base, batchSize: 16)
        #expect(try LoRAFixture.devLogits(trainer.model) == LoRAFixture.devLogits(base.model(seqLen: 16)))
        let table = trainer.model.table
        let adapters = table.entries.filter { LoRAConfig.isAdapter($0.name) }
        #expect(adapters.count == 2 * 6)
        let expected = adapters.map(\.count).reduce(0, +) + table.info("classifier.weight").count + table.info("classifier.bias").count
        #expect(table.trainableCount == expected && trainer.model.gradients.count == expected && trainer.trainingStep.m.count == expected)
        #expect(table.entries.filter(\.trainable).allSatisfy { LoRAConfig.isAdapter($0.name) || $0.name.hasPrefix("classifier.") })

        try trainer.run { _ in }
        for e in base.stored.table.entries {
            let now = Array(trainer.model.parameter(e.name)), before = Array(base.stored.tensor(e.name))
            if e.name.hasPrefix("classifier.") { #expect(now != before, "\(e.name) trains") } else { #expect(now == before, "\(e.name) is frozen") }
        }
        #expect(Array(trainer.model.parameter("encoder.layer.0.output.dense.lora_B.weight")).contains { $0 != 0 })

        let file = try H5File.open(out + "/final.h5")
        let params = try file.openGroup("params")
        #expect(params.contains("encoder.layer.0.attention.self.query.lora_A.weight") && params.contains("classifier.weight"))
        #expect(!params.contains("encoder.layer.0.attention.self.query.weight") && !params.contains("embeddings.word_embeddings.weight"))
        params.close()
        #expect(try file.stringAttribute("base_model_sha256") == SHA256.hex(ofFile: LoRAFixture.base))
        #expect(try file.stringAttribute("base_model_path") == URL(fileURLWithPath: LoRAFixture.base).standardizedFileURL.path)
        let stored = try ModelArchive(path: out + "/final.h5", expecting: .checkpoint).meta.lora
        #expect(stored?.config == LoRAConfig(rank: 4, alpha: 8, dropout: 0.1, targets: LoRATarget.allCases, trainPooler: false))
    }

    /// Resuming from a LoRA step checkpoint (base re-read, adapters and moments restored)
    /// reproduces the uninterrupted run's losses and final tensors bit for bit.
    @Test func resumedFromACheckpointMatchesTheStraightRun() throws {
        var c = LoRAFixture.config(out: TrainFixture.runDirectory("lora-straight"))
        c.saveEvery = 3
        let (straight, straightEvents) = try train(c)
        var r = c
        r.out = TrainFixture.runDirectory("lora-resumed")
        try FileManager.default.createDirectory(atPath: r.out!, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: c.out! + "/step-00000003.h5", toPath: r.out! + "/step-00000003.h5")
        r.resume = "auto"
        let (resumed, resumedEvents) = try train(r)
        func losses(_ events: [TrainingEvent]) -> [Double] { events.compactMap { if case .train(let t) = $0 { t.loss } else { nil } } }
        #expect(losses(resumedEvents) == Array(losses(straightEvents).suffix(3)))
        #expect(resumed.model.parameters.toArray() == straight.model.parameters.toArray())
        #expect(resumed.trainingStep.m.toArray() == straight.trainingStep.m.toArray()
                && resumed.trainingStep.v.toArray() == straight.trainingStep.v.toArray())
    }

    /// Resume, predict (StoredModel), merge and export refuse a base file whose bytes changed
    /// since training, naming both hashes; a LoRA checkpoint as --init is refused too.
    @Test func aChangedBaseIsRefused() throws {
        let directory = TrainFixture.runDirectory("lora-hash")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let base = directory + "/base.h5"
        try FileManager.default.copyItem(atPath: LoRAFixture.base, toPath: base)
        var c = LoRAFixture.config(out: directory + "/run", base: base, steps: 2)
        c.saveEvery = 1
        _ = try train(c)
        let lora = directory + "/run/final.h5"
        #expect(try StoredModel(path: lora).config.hiddenSize == 16)
        try H5File.open(base, writable: true).setAttribute("note", "changed")
        let wanted = "was trained on a base model with sha256"
        #expect(message { _ = try StoredModel(path: lora) }?.contains(wanted) == true)
        #expect(message { _ = try Merge.run(modelPath: lora, output: directory + "/merged.h5") }?.contains(wanted) == true)
        #expect(message { _ = try HFExport.run(modelPath: lora, outputDirectory: directory + "/hf") }?.contains(wanted) == true)
        var resume = c
        resume.maxSteps = 3; resume.allowScheduleChange = true
        resume.resume = directory + "/run/step-00000001.h5"
        resume.out = directory + "/run"
        #expect(message { _ = try Trainer(config: resume, communicator: SingleProcessCommunicator()) }?.contains(wanted) == true)
        var initFromLoRA = LoRAFixture.config(out: directory + "/other", base: lora)
        initFromLoRA.mode = .full
        initFromLoRA.loraRank = nil; initFromLoRA.loraAlpha = nil; initFromLoRA.loraDropout = nil; initFromLoRA.loraTargets = nil
        #expect(message { _ = try Trainer(config: initFromLoRA, communicator: SingleProcessCommunicator()) }?.contains("is a LoRA checkpoint") == true)
    }

    /// The trained adapters folded into the base (txf merge) give the unmerged model's logits,
    /// and the merged file, StoredModel of the LoRA checkpoint and export-hf's tensors agree.
    @Test func mergedAndUnmergedLogitsAgree() throws {
        let out = TrainFixture.runDirectory("lora-merge")
        _ = try train(LoRAFixture.config(out: out))
        let checkpoint = try ModelArchive(path: out + "/final.h5", expecting: .checkpoint)
        let (table, parameters) = try Merge.loraParameters(checkpoint)
        let unmerged = try BertClassifier(config: checkpoint.meta.model, maxBatch: 16, maxSeqLen: 16, lora: checkpoint.meta.lora!.config)
        #expect(unmerged.table == table)
        unmerged.parameters.pointer.update(from: parameters.pointer, count: table.totalCount)
        let merged = out + "/merged.h5"
        let summary = try Merge.run(modelPath: out + "/final.h5", output: merged)
        #expect(summary.foldedWeights == 6)
        let plain = try Predictor(path: merged, batchSize: 16)
        let a = try LoRAFixture.devLogits(unmerged), b = try LoRAFixture.devLogits(plain.model(seqLen: 16))
        let base = try LoRAFixture.devLogits(try Predictor(path: LoRAFixture.base, batchSize: 16).model(seqLen: 16))
        #expect(a != base, "the adapters must have changed the logits")
        for (i, (x, y)) in zip(a, b).enumerated() {
            assertClose(Double(y), Double(x), relativeTolerance: 1e-5, absoluteTolerance: 1e-6, "logit \(i)")
        }
        let direct = try StoredModel(path: out + "/final.h5")
        #expect(direct.parameters.toArray() == (try StoredModel(path: merged)).parameters.toArray())
        // export-hf of the LoRA checkpoint writes the merged weights.
        let exported = out + "/hf"
        _ = try HFExport.run(modelPath: out + "/final.h5", outputDirectory: exported)
        let tensors = try SafeTensorsFile(path: exported + "/model.safetensors")
        #expect(tensors.entries.count == direct.table.entries.count)
        for e in direct.table.entries {
            var values = [Float](repeating: .nan, count: e.count)
            try values.withUnsafeMutableBufferPointer { try tensors.readFloats(HFExport.hfName(e.name), into: $0) }
            #expect(values == Array(direct.tensor(e.name)), "\(e.name)")
        }
    }

    @Test func optionsAreCheckedAgainstTheMode() throws {
        var c = TrainConfig()
        c.train = "t.h5"; c.out = "o"
        c.loraRank = 4
        #expect(message { try c.validate(worldSize: 1) } == "--lora-rank applies only with --mode lora")
        c.mode = .lora
        c.loraTargets = "query,attention"
        #expect(message { try c.validate(worldSize: 1) }?.contains("unknown LoRA target \"attention\"") == true)
        c.loraTargets = nil
        #expect(try c.loraConfig() == LoRAConfig(rank: 4, alpha: 16, dropout: 0.1, targets: [.query, .value], trainPooler: false))
        // Resuming with other LoRA options is refused, naming the option.
        var r = LoRAFixture.config(out: TrainFixture.runDirectory("lora-options"), steps: 2)
        r.saveEvery = 1
        _ = try train(r)
        r.maxSteps = 3; r.resume = "auto"; r.loraRank = 2
        #expect(message { _ = try Trainer(config: r, communicator: SingleProcessCommunicator()) }?.contains("has lora-rank = 4 but --lora-rank is 2") == true)
        r.loraRank = 4; r.mode = .full
        r.loraAlpha = nil; r.loraDropout = nil; r.loraTargets = nil; r.loraRank = nil
        #expect(message { _ = try Trainer(config: r, communicator: SingleProcessCommunicator()) }?.contains("is a LoRA checkpoint but --mode is full") == true)
        var noInit = LoRAFixture.config(out: TrainFixture.runDirectory("lora-no-init"))
        noInit.initFrom = nil
        noInit.layers = 1; noInit.hidden = 16; noInit.heads = 2; noInit.ffn = 32; noInit.maxLength = 16
        #expect(message { _ = try Trainer(config: noInit, communicator: SingleProcessCommunicator()) }?.contains("--mode lora needs --init") == true)
    }
}
