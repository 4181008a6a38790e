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

/// The trainer in this process, on one rank (`SingleProcessCommunicator`): setup rules,
/// accumulation, events, evaluation counts and resuming.
@Suite struct TrainerTests {
    let fixture = TrainFixture.paths

    func config(out: String, steps: Int = 6) -> TrainConfig { TrainFixture.oneLayerConfig(out: out, steps: steps) }

    func train(_ c: TrainConfig) throws -> (Trainer, [TrainingEvent]) { try TrainFixture.trainAlone(c) }

    func losses(_ events: [TrainingEvent]) -> [Double] {
        events.compactMap { if case .train(let r) = $0 { r.loss } else { nil } }
    }

    // One rank, micro-batch 16 vs 4 micro-steps of 4: the same samples, masks and sums of
    // sample losses / G, so the same losses up to the order of float sums (relative 1e-5).
    @Test func accumulationGivesTheSameSteps() throws {
        let (_, whole) = try train(config(out: TrainFixture.runDirectory("whole")))
        var split = config(out: TrainFixture.runDirectory("split"))
        split.microBatch = 4
        let (trainer, parts) = try train(split)
        #expect(trainer.layout.accumulation == 4)
        #expect(losses(whole).count == 6)
        assertClose(losses(parts), losses(whole), relativeTolerance: 1e-5)
    }

    @Test func eventsMetricsAndFinalCheckpoint() throws {
        var c = config(out: TrainFixture.runDirectory("events"))
        c.saveEvery = 2; c.evalEvery = 3; c.keep = 1
        let (trainer, events) = try train(c)
        #expect(trainer.step == 6)
        let kinds = events.map { e -> String in
            switch e { case .train: "t"; case .eval: "e"; case .checkpoint(let r): (r.path as NSString).lastPathComponent }
        }
        // best.h5 follows each evaluation that improves on the last; it may not after step 6.
        #expect(Array(kinds.prefix(6)) == ["t", "t", "step-00000002.h5", "t", "e", "best.h5"])
        #expect(kinds.filter { $0 == "e" }.count == 2 && kinds.last == "final.h5")
        for case .eval(let r) in events { #expect(r.count == 50 && r.accuracy >= 0 && r.accuracy <= 1) }
        // metrics.jsonl holds the same events, one line each.
        let lines = try String(contentsOfFile: c.out! + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == events.count)
        #expect(RunDirectory(path: c.out!).stepCheckpoints().map(\.step) == [4])  // --keep 1
        let final = try ModelArchive(path: c.out! + "/final.h5", expecting: .checkpoint)
        #expect(try final.meta.training?.step == 6 && final.runConfig() == trainer.config && final.meta.training?.worldSize == 1)
        #expect(final.meta.vocab.count == 5 + TrainFixture.filler.count + 16)
    }

    @Test func setupRefusesWhatCannotWork() throws {
        let out = TrainFixture.runDirectory("refuse")
        _ = try train(config(out: out, steps: 2))
        func refusal(_ change: (inout TrainConfig) -> Void) -> String? {
            var c = config(out: out, steps: 2)
            change(&c)
            do { _ = try Trainer(config: c, communicator: SingleProcessCommunicator()); return nil } catch {
                return String(describing: error)
            }
        }
        #expect(refusal { _ in }?.contains("already holds checkpoints; pass --resume auto") == true)
        #expect(refusal { $0.resume = "auto"; $0.hidden = 32 }?.contains("has hidden_size = 16 but --hidden is 32") == true)
        #expect(refusal { $0.resume = "auto"; $0.seed = 12 }?.contains("seed") == true)
        #expect(refusal { $0.out = out + "-b"; $0.maxLength = 8 }?.contains("at most 8") == true)
        #expect(refusal { $0.out = out + "-c"; $0.globalBatch = 512 }?.contains("fewer than one global batch") == true)
        #expect(refusal { $0.out = out + "-d"; $0.vocab = self.fixture.otherVocab }?.contains("vocab does not match") == true)
        // A finished run resumed with auto takes no further step and logs nothing more.
        let metrics = try String(contentsOfFile: out + "/metrics.jsonl", encoding: .utf8)
        var again = config(out: out, steps: 2)
        again.resume = "auto"
        let (trainer, events) = try train(again)
        #expect(trainer.resumedFrom == out + "/final.h5" && trainer.step == 2)
        #expect(events.isEmpty && trainer.summary.contains("already complete"))
        #expect(try String(contentsOfFile: out + "/metrics.jsonl", encoding: .utf8) == metrics)
    }

    // --init starts a new run from a model file's weights and architecture (a checkpoint here):
    // step 0, fresh moments, but the first forward sees the saved parameters.
    @Test func initStartsFromAModelFile() throws {
        let first = TrainFixture.runDirectory("init-source")
        // fp32, so that the source's parameters are the file's (in bf16 they are the roundings of
        // the masters the file holds, and the new run starts from the masters).
        var sourceConfig = config(out: first, steps: 3)
        sourceConfig.precision = .fp32
        let (source, _) = try train(sourceConfig)
        var c = config(out: TrainFixture.runDirectory("init-target"), steps: 1)
        c.initFrom = first + "/final.h5"
        c.layers = nil; c.hidden = nil; c.heads = nil; c.ffn = nil; c.maxLength = nil
        let trainer = try Trainer(config: c, communicator: SingleProcessCommunicator())
        #expect(trainer.step == 0 && trainer.model.config.hiddenSize == 16 && trainer.config.hidden == 16)
        #expect(trainer.model.parameters.toArray() == source.model.parameters.toArray())
        // A model made with another vocab is refused: its embedding rows mean other tokens.
        let other = TrainFixture.runDirectory("init-other-vocab") + ".h5"
        try FileManager.default.copyItem(atPath: first + "/final.h5", toPath: other)
        try H5File.open(other, writable: true).setAttribute("tokenizer_vocab_sha256", "0123abcd")
        var mismatched = c
        mismatched.initFrom = other
        mismatched.out = TrainFixture.runDirectory("init-vocab-refused")
        #expect(message { _ = try Trainer(config: mismatched, communicator: SingleProcessCommunicator()) }?
                    .contains("was made with a vocab of sha256 0123abcd") == true)
        c.hidden = 32
        c.out = TrainFixture.runDirectory("init-refused")
        #expect(message { _ = try Trainer(config: c, communicator: SingleProcessCommunicator()) }?
                    .contains("final.h5 has hidden_size = 16 but --hidden is 32") == true)
    }

    @Test func architectureComesFromFlagsOrTheBase() throws {
        var c = TrainConfig()
        c.hidden = 64
        let scratch = try Architecture.resolve(c, base: nil, baseSource: "", vocabSize: 100, numLabels: 3, padTokenId: 0)
        #expect(scratch.hiddenSize == 64 && scratch.intermediateSize == 256 && scratch.numHiddenLayers == 2)
        #expect(scratch.maxPositionEmbeddings == 512 && scratch.numLabels == 3 && scratch.hiddenDropoutProb == 0.1)
        c.layers = 3
        #expect(message { _ = try Architecture.resolve(c, base: scratch, baseSource: "base.h5", vocabSize: 100, numLabels: 3, padTokenId: 0) }
                == "base.h5 has num_hidden_layers = 2 but --layers is 3; drop the flag or start a new run")
        c.layers = nil
        #expect(message { _ = try Architecture.resolve(c, base: scratch, baseSource: "base.h5", vocabSize: 99, numLabels: 3, padTokenId: 0) }?
                    .contains("vocab_size = 100") == true)
        #expect(scratch.pooling == .cls)
        c.pooling = .mean
        #expect(message { _ = try Architecture.resolve(c, base: scratch, baseSource: "base.h5", vocabSize: 100, numLabels: 3, padTokenId: 0) }
                == "base.h5 has classifier_pooling = cls but --pooling is mean; drop the flag or start a new run")
        #expect(try Architecture.resolve(c, base: nil, baseSource: "", vocabSize: 100, numLabels: 3, padTokenId: 0).pooling == .mean)
    }

    /// A mean-pooled run stores its pooling, resumes with it without the flag (the same losses
    /// as the straight run), evaluates as the trainer did, and is refused by export-hf.
    @Test func meanPoolingIsStoredResumedAndNotExported() throws {
        var straight = config(out: TrainFixture.runDirectory("mean-straight"), steps: 4)
        straight.pooling = .mean
        let (_, whole) = try train(straight)
        var first = straight
        first.out = TrainFixture.runDirectory("mean-resumed")
        first.maxSteps = 4
        first.saveEvery = 2
        _ = try train(first)
        try FileManager.default.removeItem(atPath: first.out! + "/final.h5")
        var resumed = first
        resumed.pooling = nil
        resumed.resume = "auto"
        let (trainer, rest) = try train(resumed)
        #expect(trainer.model.config.pooling == .mean)
        assertClose(losses(rest), Array(losses(whole).suffix(2)), relativeTolerance: 1e-6)
        let stored = try StoredModel(path: straight.out! + "/final.h5")
        #expect(stored.config.pooling == .mean)
        let lastEval = whole.compactMap { if case .eval(let r) = $0 { r } else { nil } }.last!
        // A fresh model from the file (pooling read back from it) gives the trainer's last evaluation.
        let dataset = try TokenDataset(path: fixture.dev)
        let record = try Evaluation.run(model: try Predictor(stored: stored, batchSize: 7).model(seqLen: 16),
                                        dataset: dataset, batchSize: 7, communicator: SingleProcessCommunicator(), step: 4)
        #expect(record.accuracy == lastEval.accuracy)
        assertClose(record.loss, lastEval.loss, relativeTolerance: 1e-5)
        #expect(message { _ = try HFExport.run(modelPath: straight.out! + "/final.h5", outputDirectory: straight.out! + "/hf") }?
                    .contains("export-hf takes cls-pooled models") == true)
    }

    @Test func evaluationBlocksTileTheSetExactlyOnce() {
        for n in [0, 1, 5, 872, 1001] {
            for w in 1 ... 5 {
                let blocks = (0 ..< w).map { Evaluation.rows(count: n, rank: $0, worldSize: w) }
                #expect(blocks.flatMap { Array($0) } == Array(0 ..< n))
                #expect(blocks.allSatisfy { $0.count >= n / w && $0.count <= n / w + 1 })
            }
        }
    }

    @Test func togetherTurnsAFailureIntoOneCollectiveError() {
        let one = SingleProcessCommunicator()
        #expect(throws: CollectiveError("x.h5: no such file")) { try one.together { throw TxfError("x.h5: no such file") } }
        #expect((try? one.together { 7 }) == 7)
    }
}
