import Foundation
import Testing
import TxfCore
import TxfData
import TxfDist
import TxfModel
@testable import TxfEval
@testable import TxfStore
@testable import TxfTrain

/// `--objective masked-lm` on the fixture's text, in this process: it learns, evaluates per
/// picked token, resumes exactly, refuses what it cannot do, and its checkpoint starts a
/// classifier.
@Suite struct MaskedLMTrainingTests {
    let fixture = TrainFixture.paths

    func config(out: String, steps: Int) -> TrainConfig {
        var c = TrainFixture.oneLayerConfig(out: TrainFixture.runDirectory(out), steps: steps, lr: 1e-2)
        c.objective = .maskedLM
        c.evalEvery = steps / 2
        return c
    }

    func losses(_ events: [TrainingEvent]) -> [Double] {
        events.compactMap { if case .train(let r) = $0 { r.loss } else { nil } }
    }

    func evaluations(_ events: [TrainingEvent]) -> [EvalRecord] {
        events.compactMap { if case .eval(let r) = $0 { r } else { nil } }
    }

    /// 40 steps on sentences of random filler words (16) and one sentiment word (of 16): the
    /// best guess is about ln 16 = 2.77 nats per pick, a uniform one ln 37 = 3.61. The per-token
    /// loss of the dev set's fixed picks falls clearly below the uniform guess and the accuracy
    /// above chance; the metrics say masked accuracy and picked tokens, and the checkpoint is a
    /// masked-LM model with its head.
    @Test func learnsTheTextAndWritesAMaskedLMCheckpoint() throws {
        let c = config(out: "mlm-learn", steps: 40)
        let (trainer, events) = try TrainFixture.trainAlone(c)
        #expect(trainer.config.metricForBest == .loss)
        let evals = evaluations(events)
        #expect(evals.count == 2)
        let vocab = Double(trainer.model.config.vocabSize)
        for r in evals {
            let m = try #require(r.maskedLM)
            #expect(m.predictedTokens > 40 && r.count == 50 && r.f1.isNaN)
            #expect(m.accuracy == r.accuracy)
        }
        // Both evaluations score the same picks.
        #expect(evals[0].maskedLM!.predictedTokens == evals[1].maskedLM!.predictedTokens)
        #expect(evals.last!.loss < log(vocab) - 0.3, "dev loss \(evals.last!.loss) against uniform \(log(vocab))")
        #expect(evals.last!.accuracy > 1.5 / vocab)
        #expect(losses(events).allSatisfy { $0.isFinite })
        let line = try String(contentsOfFile: c.out! + "/metrics.jsonl", encoding: .utf8)
            .split(separator: "\n").first { $0.contains(#""event":"eval""#) }!
        #expect(line.contains(#""masked_accuracy":"#) && line.contains(#""predicted_tokens":"#))
        let final = try ModelArchive(path: c.out! + "/final.h5", expecting: .checkpoint)
        #expect(final.meta.model.head == .maskedLM)
        #expect(message { _ = try StoredModel(path: c.out! + "/final.h5") }?.contains("is a masked-LM model") == true)
        #expect(try ArchiveReport(final).lines.contains { $0.contains("masked-LM head") })
    }

    /// Four steps straight, or two then a resume: the same losses (the masks are keyed by
    /// step and sample, not by the process).
    @Test func resumesExactly() throws {
        let straight = config(out: "mlm-straight", steps: 4)
        let (_, whole) = try TrainFixture.trainAlone(straight)
        var first = config(out: "mlm-resumed", steps: 4)
        first.saveEvery = 2
        _ = try TrainFixture.trainAlone(first)
        try FileManager.default.removeItem(atPath: first.out! + "/final.h5")
        var resumed = first
        resumed.resume = "auto"
        let (_, rest) = try TrainFixture.trainAlone(resumed)
        #expect(losses(rest) == Array(losses(whole).suffix(2)))
        var asClassifier = resumed
        asClassifier.objective = .supervised
        #expect(message { _ = try TrainFixture.trainAlone(asClassifier) }?.contains("is a masked-LM run: resume it with --objective masked-lm") == true)
    }

    /// `--init` a masked-LM checkpoint: the classifier starts from its encoder and embeddings
    /// (the head's tensors are fresh) and trains; a classifier's file starts masked-LM training.
    @Test func itsCheckpointStartsAClassifier() throws {
        // fp32: the pre-trained run's parameters are then the file's (bf16 would hold roundings of its masters).
        var pretrain = config(out: "mlm-base", steps: 6)
        pretrain.precision = .fp32
        let (pretrained, _) = try TrainFixture.trainAlone(pretrain)
        var finetune = TrainFixture.oneLayerConfig(out: TrainFixture.runDirectory("mlm-finetune"), steps: 6)
        finetune.initFrom = pretrain.out! + "/final.h5"
        finetune.layers = nil; finetune.hidden = nil; finetune.heads = nil; finetune.ffn = nil; finetune.maxLength = nil
        let classifier = try Trainer(config: finetune, communicator: SingleProcessCommunicator())
        #expect(classifier.model.config.head == .classifier && classifier.model.config.numLabels == 2)
        for e in classifier.model.table.entries where !e.name.hasPrefix("pooler.") && !e.name.hasPrefix("classifier.") {
            #expect(Array(classifier.model.parameter(e.name)) == Array(pretrained.model.parameter(e.name)), "\(e.name)")
        }
        // The new head starts as a from-scratch model of the same seed does (not at zero, where
        // tanh(0) would pass no gradient to either layer).
        let fresh = try BertClassifier(config: classifier.model.config, maxBatch: 1, maxSeqLen: 1)
        fresh.initializeWeights(seed: finetune.seed)
        for name in ["pooler.dense.weight", "classifier.weight"] {
            #expect(Array(classifier.model.parameter(name)) == Array(fresh.parameter(name)) && fresh.parameter(name).contains { $0 != 0 })
        }
        var events: [TrainingEvent] = []
        try classifier.run { events.append($0) }
        #expect(evaluations(events).last.map { $0.maskedLM == nil && !$0.f1.isNaN } == true)
        // And back: a classifier's final.h5 starts masked-LM training with a fresh head.
        var again = config(out: "mlm-from-classifier", steps: 2)
        again.initFrom = finetune.out! + "/final.h5"
        again.layers = nil; again.hidden = nil; again.heads = nil; again.ffn = nil; again.maxLength = nil
        let (continued, _) = try TrainFixture.trainAlone(again)
        #expect(continued.model.config.head == .maskedLM)
    }

    /// The bf16 recipe's numbers (bf16-reference: rounded inputs, the tied decoder's weight a
    /// rounded copy like every other) follow the fp32 run closely.
    @Test func bf16ReferenceFollowsFP32() throws {
        var fp32 = config(out: "mlm-fp32", steps: 6)
        fp32.precision = .fp32
        var bf16 = config(out: "mlm-bf16", steps: 6)
        bf16.precision = .bf16Reference
        let (_, a) = try TrainFixture.trainAlone(fp32), (_, b) = try TrainFixture.trainAlone(bf16)
        #expect(losses(a).count == 6)
        assertClose(losses(b), losses(a), relativeTolerance: 2e-2, "bf16-reference vs fp32 masked-LM losses")
        #expect(losses(b) != losses(a))
    }

    @Test func refusesWhatItCannotDo() throws {
        var lora = config(out: "mlm-lora", steps: 2)
        lora.mode = .lora
        #expect(message { try lora.validate(worldSize: 1) }?.contains("LoRA adapts a classifier") == true)
        var mean = config(out: "mlm-mean", steps: 2)
        mean.pooling = .mean
        #expect(message { try mean.validate(worldSize: 1) }?.contains("--pooling mean is a classifier's") == true)
        var f1 = config(out: "mlm-f1", steps: 2)
        f1.metricForBest = .f1
        #expect(message { _ = try TrainFixture.trainAlone(f1) }?.contains("--objective masked-lm is measured by loss") == true)
    }

    /// Text without labels (`txf prepare` without a label column) pre-trains; a supervised run
    /// on it is refused, pointing at the objective.
    @Test func unlabelledTextPretrains() throws {
        let directory = TrainFixture.runDirectory("mlm-text")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let text = directory + "/text.tsv", data = directory + "/text.h5"
        let lines = try String(contentsOfFile: fixture.directory + "/train.tsv", encoding: .utf8).split(separator: "\n")
        try (["sentence"] + lines.dropFirst().map { String($0.split(separator: "\t")[0]) }).joined(separator: "\n")
            .appending("\n").write(toFile: text, atomically: true, encoding: .utf8)
        _ = try prepareDataset(PrepareOptions(input: text, vocab: fixture.vocab, output: data,
                                              columns: ColumnSelection(label: nil), maxLength: 16))
        var c = config(out: "mlm-unlabelled", steps: 4)
        c.train = data
        let (trainer, _) = try TrainFixture.trainAlone(c)
        #expect(trainer.step == 4)
        var supervised = c
        supervised.out = TrainFixture.runDirectory("supervised-unlabelled")
        supervised.objective = .supervised
        supervised.eval = nil
        let refusal = message { _ = try TrainFixture.trainAlone(supervised) }
        #expect(refusal?.contains("has no labels; training needs a labelled dataset (or --objective masked-lm") == true, "\(refusal ?? "")")
    }
}
