import Foundation
import Testing
import TxfCore
import TxfDist
import TxfHDF5
import TxfModel
import TxfTestSupport
import TxfText
@testable import TxfEval
@testable import TxfStore
@testable import TxfTrain

/// Models you can look at, and defaults that lose nothing: `best.h5` weights-only (and refused
/// for resuming), a schedule change on resume refused unless asked for, a checkpoint every
/// 500 steps by default, and `txf inspect` on every kind of txf file.
@Suite struct ModelInspectionTests {
    let fixture = TrainFixture.paths

    func config(out: String, steps: Int) -> TrainConfig { TrainFixture.oneLayerConfig(out: out, steps: steps) }

    @discardableResult
    func train(_ c: TrainConfig) throws -> Trainer { try TrainFixture.trainAlone(c).trainer }

    /// One 4-step run with an evaluation every 2 steps and a step checkpoint at 2, shared by
    /// the tests below (a few hundred milliseconds).
    static let run: String = {
        let out = TrainFixture.runDirectory("inspect-run")
        var c = ModelInspectionTests().config(out: out, steps: 4)
        c.evalEvery = 2; c.saveEvery = 2
        _ = try! ModelInspectionTests().train(c)
        return out
    }()

    @Test func bestIsWeightsOnlyAndFinalKeepsItsMoments() throws {
        let run = RunDirectory(path: ModelInspectionTests.run)
        let best = try ModelArchive(path: run.bestPath, expecting: .checkpoint)
        let final = try ModelArchive(path: run.finalPath, expecting: .checkpoint)
        #expect(!best.hasMoments && final.hasMoments)
        let h5 = try H5File.open(run.bestPath)
        let flag = try h5.int64Attribute(ArchiveSchema.Attribute.weightsOnly)
        #expect(!h5.contains(ArchiveSchema.adamM) && !h5.contains(ArchiveSchema.adamV) && h5.contains(ArchiveSchema.params) && flag == 1)
        // Weights read back whole (the checksum covers them and the step); moments cannot be.
        let table = ParameterTable.bertClassifier(best.meta.model)
        let p = FloatBuffer(count: table.totalCount), m = FloatBuffer(count: table.trainableCount)
        try best.load(table: table, parameters: p.pointer)
        #expect(message { try best.load(table: table, parameters: p.pointer, m: m.pointer, v: m.pointer) }?
                    .contains("is a weights-only checkpoint") == true)
        // predict / evaluate / export read it as they read any checkpoint.
        #expect(try StoredModel(path: run.bestPath).parameters.toArray() == p.toArray())
        // Parameters only: about a third of a full checkpoint's bytes.
        let bestBytes = try ArchiveReport(best).fileBytes, finalBytes = try ArchiveReport(final).fileBytes
        #expect(bestBytes * 2 < finalBytes)
    }

    @Test func resumingBestIsRefusedWithWhatToResumeFrom() throws {
        var c = config(out: ModelInspectionTests.run, steps: 4)
        c.resume = RunDirectory(path: ModelInspectionTests.run).bestPath
        let refusal = message { _ = try Trainer(config: c, communicator: SingleProcessCommunicator()) }
        #expect(refusal?.contains("best.h5 is a weights-only checkpoint") == true
                && refusal?.contains("resume from a step checkpoint (step-*.h5) or final.h5") == true, "\(refusal ?? "")")
    }

    @Test func aScheduleChangeOnResumeIsRefusedUnlessAllowed() throws {
        let out = TrainFixture.runDirectory("schedule-change")
        var first = config(out: out, steps: 4)
        first.saveEvery = 2; first.warmupSteps = 1
        try train(first)
        var resume = first
        resume.resume = RunDirectory(path: out).stepPath(2)
        func refusal(_ change: (inout TrainConfig) -> Void) -> String {
            var c = resume
            change(&c)
            return message { _ = try Trainer(config: c, communicator: SingleProcessCommunicator()) } ?? "accepted"
        }
        #expect(refusal { $0.maxSteps = 8 }.contains("another learning-rate schedule: steps in all 4 (--max-steps 4), now 8 (--max-steps 8)"))
        #expect(refusal { $0.lr = 1e-3 }.contains("lr 0.003, now 0.001"))
        #expect(refusal { $0.warmupSteps = nil; $0.warmupRatio = 0.5 }.contains("warmup 1 steps (--warmup-steps 1), now 2 (--warmup-ratio 0.5)"))
        let kind = refusal { $0.schedule = .cosine }
        #expect(kind.contains("schedule linear, now cosine") && kind.contains("pass --allow-schedule-change"), "\(kind)")
        // Asked for: the run continues from step 2 on the new schedule.
        resume.maxSteps = 6; resume.allowScheduleChange = true
        do {  // a Trainer holds the run lock until it goes
            let trainer = try Trainer(config: resume, communicator: SingleProcessCommunicator())
            #expect(trainer.step == 2 && trainer.schedule.totalSteps == 6)
        }
        // The same settings resume as before.
        var same = first
        same.resume = RunDirectory(path: out).stepPath(2)
        #expect(try Trainer(config: same, communicator: SingleProcessCommunicator()).step == 2)
    }

    @Test func aCheckpointEvery500StepsByDefault() throws {
        #expect(TrainConfig().saveEvery == nil && TrainConfig().checkpointInterval == 500)
        var off = TrainConfig()
        off.saveEvery = 0
        #expect(off.checkpointInterval == 0)
        let help = TrainSetting.help(TrainSetting.named(["save-every"]), title: "t")
        #expect(help.contains("(default 500)"), "\(help)")
        #expect(TrainSetting.named(["allow-schedule-change"])[0].isSwitch)
    }

    @Test func inspectShowsModelsAndCheckpointsAndRefusesOtherFilesWithoutAdvice() throws {
        guard let txf = TestPaths.built("txf")?.path else { Issue.record("txf not built"); return }
        let run = RunDirectory(path: ModelInspectionTests.run)
        func inspect(_ path: String) throws -> (status: Int32, text: String) {
            let job = try Job.run(executable: URL(fileURLWithPath: txf), ["inspect", path], timeout: 60)
            return (job.status, job.stdout + job.stderr)
        }
        let table = ParameterTable.bertClassifier(try ModelArchive(path: run.finalPath).meta.model)
        let tensors = table.entries.count, values = ArchiveReport.grouped(table.totalCount)

        let final = try inspect(run.finalPath)
        #expect(final.status == 0, "\(final.text)")
        for line in ["\(run.finalPath): txf checkpoint, schema version 2",
                     "Architecture: BERT, 1 layers, hidden 16, 2 heads, ffn 32",
                     "Training: step 4 (epoch 0, step 4 in it), seed 11, 1 rank",
                     "Run: --mode full, --precision auto, --global-batch 16",
                     "Schedule: linear, lr 0.003, warmup 0 steps, 4 steps in all; at step 4 of 4",
                     "Best: accuracy ", "Dataset fingerprint: ",
                     "params  \(tensors) tensors, \(values) float32 values",
                     "adam_m  \(tensors) tensors", "adam_v  \(tensors) tensors"] {
            #expect(final.text.contains(line), "\(line) in \(final.text)")
        }
        let best = try inspect(run.bestPath)
        #expect(best.status == 0 && best.text.contains("txf weights-only checkpoint") && !best.text.contains("adam_m"), "\(best.text)")
        #expect(best.text.contains("params  \(tensors) tensors"))

        // A model file (as import-hf and merge write it): final.h5's weights without the training state.
        let source = try ModelArchive(path: run.finalPath)
        let modelPath = TrainFixture.runDirectory("inspect-model") + ".h5"
        var meta = source.meta
        meta.training = nil; meta.provenance = ["source_path": "/models/x"]
        let p = FloatBuffer(count: table.totalCount)
        try source.load(table: table, parameters: p.pointer)
        try ModelArchive.write(to: modelPath, table: table, parameters: p.pointer, meta: meta)
        let model = try inspect(modelPath)
        #expect(model.status == 0 && model.text.contains("\(modelPath): txf model file, schema version 2")
                && model.text.contains("Provenance: source_path = /models/x") && !model.text.contains("Training:"), "\(model.text)")

        // A LoRA checkpoint: adapters and head only, with its base named.
        var c = LoRAFixture.config(out: TrainFixture.runDirectory("inspect-lora"), steps: 1)
        c.eval = nil
        try train(c)
        let lora = try inspect(c.out! + "/final.h5")
        let adapters = try #require(try c.loraConfig()), baseHash = try SHA256.hex(ofFile: LoRAFixture.base)
        let trained = ParameterTable.bertClassifier(source.meta.model, lora: adapters).entries.filter(\.trainable)
        #expect(lora.status == 0 && lora.text.contains("txf LoRA checkpoint")
                && lora.text.contains("LoRA: rank \(adapters.rank), alpha \(adapters.alpha), dropout \(adapters.dropout)")
                && lora.text.contains(", sha256 \(baseHash)")
                && lora.text.contains("params  \(trained.count) tensors, \(ArchiveReport.grouped(trained.reduce(0) { $0 + $1.count })) float32 values"),
                "\(lora.text)")

        let dataset = try inspect(fixture.dev)
        #expect(dataset.status == 0 && dataset.text.contains("txf tokenized-dataset"))

        // Not a txf file: says what it is not, and never to write over it.
        let plain = TrainFixture.runDirectory("inspect-plain") + ".h5", text = plain + ".txt"
        try H5File.create(plain).close()
        try "hello\n".write(toFile: text, atomically: true, encoding: .utf8)
        for (path, expected) in [(plain, "is an HDF5 file but not a txf one (no txf_kind attribute)"),
                                 (text, "is not an HDF5 file, so not a txf file")] {
            let refused = try inspect(path)
            #expect(refused.status == 1 && refused.text.contains(expected) && !refused.text.contains("--output"), "\(refused.text)")
        }
    }
}
