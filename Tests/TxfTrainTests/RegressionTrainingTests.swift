import Foundation
import Testing
import TxfCore
import TxfData
import TxfDist
import TxfModel
@testable import TxfEval
@testable import TxfStore
@testable import TxfTrain

/// `--task regression` end to end in one process: training learns the fixture's scores, the
/// evaluations carry MSE / Pearson / Spearman (checked against scipy on the same predictions),
/// best.h5 is a regression model, predict gives its score, export writes problem_type
/// "regression", and a task mismatch anywhere is an error naming both files.
@Suite(.serialized) struct RegressionTrainingTests {
    static let trained: (out: String, events: [TrainingEvent]) = {
        let out = TrainFixture.runDirectory("regression")
        var c = RegressionFixture.config(out: out, steps: 60)
        c.evalEvery = 30
        let (_, events) = try! TrainFixture.trainAlone(c)
        return (out, events)
    }()

    @Test func trainsAndReportsCorrelations() throws {
        let records = Self.trained.events.compactMap { event -> EvalRecord? in
            if case .eval(let r) = event { return r } else { return nil }
        }
        #expect(records.map(\.step) == [30, 60])
        let last = try #require(records.last?.regression)
        #expect(last.pearson > 0.6 && last.spearman > 0.5, "pearson \(last.pearson), spearman \(last.spearman)")
        #expect(last.mse == records.last!.loss || abs(last.mse - records.last!.loss) < 1e-6 * last.mse)
        let metrics = try String(contentsOfFile: Self.trained.out + "/metrics.jsonl", encoding: .utf8)
        let evalLine = try #require(metrics.split(separator: "\n").last { $0.contains(#""event":"eval""#) })
        #expect(evalLine.contains(#""pearson":"#) && evalLine.contains(#""spearman":"#) && evalLine.contains(#""mse":"#))
        #expect(!evalLine.contains("accuracy"))

        // best.h5 was chosen by pearson (the default for regression data) and is a regression model.
        let best = try StoredModel(path: Self.trained.out + "/best.h5")
        #expect(best.config.task == .regression && best.config.numLabels == 1)
        let checkpoint = try ModelArchive(path: Self.trained.out + "/final.h5", expecting: .checkpoint)
        #expect(checkpoint.meta.training?.best?.metric == "pearson")
    }

    /// The evaluation's numbers are scipy's on the predictions it gathered, and the predictions
    /// are the model's one logit per row.
    @Test(.enabled(if: Python.has("scipy"), "needs python3 with scipy"))
    func evaluationAgreesWithScipy() throws {
        let stored = try StoredModel(path: Self.trained.out + "/best.h5")
        let dataset = try TokenDataset(path: RegressionFixture.paths.dev)
        let model = try Predictor(stored: stored, batchSize: 16).model(seqLen: 16)
        let report = try Evaluation.regressionReport(model: model, dataset: dataset, batchSize: 16,
                                                     communicator: SingleProcessCommunicator())
        #expect(report.count == dataset.rowCount)
        let script = """
        import json, sys
        from scipy import stats
        p, y = json.load(open(sys.argv[1]))
        print(json.dumps([stats.pearsonr(p, y)[0], stats.spearmanr(p, y)[0]]))
        """
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("txf-regression-eval-\(getpid()).json")
        try JSONSerialization.data(withJSONObject: [report.predictions, dataset.targets!.map(Double.init)]).write(to: input)
        defer { try? FileManager.default.removeItem(at: input) }
        let job = try Python.run(["-c", script, input.path])
        try #require(job.status == 0, "\(job.stderr)")
        let scipy = try #require(try JSONSerialization.jsonObject(with: Data(job.lines.last!.utf8)) as? [Double])
        assertClose(report.metrics.pearson, scipy[0], relativeTolerance: 1e-10, absoluteTolerance: 1e-12, "pearson")
        assertClose(report.metrics.spearman, scipy[1], relativeTolerance: 1e-10, absoluteTolerance: 1e-12, "spearman")

        // What predict prints comes from the same logit.
        let texts = try String(contentsOfFile: RegressionFixture.paths.devText, encoding: .utf8)
            .split(separator: "\n").dropFirst().prefix(3).map { String($0.split(separator: "\t")[0]) }
        let predictions = try Predictor(stored: stored).predict(texts)
        for (k, p) in predictions.enumerated() {
            let score = try #require(p.score)
            #expect(p.logits == [score] && p.probabilities.isEmpty)
            assertClose(Double(score), report.predictions[k], relativeTolerance: 1e-5, absoluteTolerance: 1e-5, "row \(k) score")
            #expect(p.json().contains(#""score":"#) && !p.json().contains("probabilities"))
        }
    }

    @Test func exportWritesARegressionConfig() throws {
        let directory = TrainFixture.runDirectory("regression-export")
        _ = try HFExport.run(modelPath: Self.trained.out + "/best.h5", outputDirectory: directory)
        let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/config.json"))
        let config = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(config["num_labels"] as? Int == 1 && config["problem_type"] as? String == "regression")
        #expect(config["id2label"] as? [String: String] == ["0": "LABEL_0"])
    }

    @Test func aTaskMismatchNamesBothFiles() throws {
        // A classifier to start from, trained on the classification fixture.
        let classifierRun = TrainFixture.runDirectory("classifier")
        try TrainFixture.trainAlone(TrainFixture.oneLayerConfig(out: classifierRun, steps: 1))
        let classifier = classifierRun + "/final.h5", regression = Self.trained.out + "/best.h5"

        var c = RegressionFixture.config(out: TrainFixture.runDirectory("mismatch-1"), steps: 1)
        c.initFrom = classifier; c.layers = nil; c.hidden = nil; c.heads = nil; c.ffn = nil; c.maxLength = nil
        expectError(try TrainFixture.trainAlone(c), contains: [RegressionFixture.paths.train, classifier, "regression data", "classifier"])

        var d = TrainFixture.oneLayerConfig(out: TrainFixture.runDirectory("mismatch-2"), steps: 1)
        d.initFrom = regression; d.layers = nil; d.hidden = nil; d.heads = nil; d.ffn = nil; d.maxLength = nil
        expectError(try TrainFixture.trainAlone(d), contains: [TrainFixture.paths.train, regression, "regression model"])

        var e = TrainFixture.oneLayerConfig(out: TrainFixture.runDirectory("mismatch-3"), steps: 1)
        e.eval = RegressionFixture.paths.dev
        expectError(try TrainFixture.trainAlone(e), contains: [RegressionFixture.paths.dev, "regression data"])

        // txf evaluate: a regression dataset for a classifier, class labels for a regression model.
        expectError(try EvaluationData.open(RegressionFixture.paths.dev, for: StoredModel(path: classifier)),
                    contains: [RegressionFixture.paths.dev, classifier])
        expectError(try EvaluationData.open(TrainFixture.paths.dev, for: StoredModel(path: regression)),
                    contains: [TrainFixture.paths.dev, regression])
    }

    @Test func metricsOfTheOtherTaskAreRefused() throws {
        for metric in [EvalMetric.f1, .mcc] {
            var c = RegressionFixture.config(out: TrainFixture.runDirectory("metric"), steps: 1)
            c.metricForBest = metric
            expectError(try TrainFixture.trainAlone(c), contains: ["--metric-for-best \(metric.rawValue)", "regression data"])
        }
        for metric in [EvalMetric.pearson, .spearman, .mse] {
            var c = TrainFixture.oneLayerConfig(out: TrainFixture.runDirectory("metric"), steps: 1)
            c.metricForBest = metric
            expectError(try TrainFixture.trainAlone(c), contains: ["--metric-for-best \(metric.rawValue)", "classification data"])
        }
        #expect(EvalMetric.mse.higherIsBetter == false && EvalMetric.pearson.higherIsBetter && EvalMetric.spearman.higherIsBetter)
        #expect(EvalMetric.mse.improves(0.5, on: 0.7) && !EvalMetric.pearson.improves(0.5, on: 0.7))
    }

    @Test func mseAndPatienceChooseBestAndStopEarly() throws {
        let out = TrainFixture.runDirectory("regression-mse")
        var c = RegressionFixture.config(out: out, steps: 40)
        c.metricForBest = .mse; c.evalEvery = 2; c.earlyStoppingPatience = 1; c.lr = 3e-2
        let (trainer, events) = try TrainFixture.trainAlone(c)
        let evaluations = events.compactMap { event -> EvalRecord? in if case .eval(let r) = event { r } else { nil } }
        let mse = evaluations.map { $0.regression!.mse }
        guard let stop = trainer.earlyStop else {
            // No stop: then every evaluation improved on the one before.
            #expect(zip(mse, mse.dropFirst()).allSatisfy { $1 < $0 } && evaluations.count == 20, "\(mse)")
            return
        }
        // Stopped at the first evaluation that did not improve (lower is better for mse).
        #expect(stop.metric == .mse && mse.count >= 2 && mse[mse.count - 1] >= mse[mse.count - 2], "\(mse)")
        #expect(zip(mse.dropLast(), mse.dropLast().dropFirst()).allSatisfy { $1 < $0 }, "\(mse)")
        #expect(stop.best.step == evaluations[mse.count - 2].step && stop.best.value == mse[mse.count - 2])
    }

    func expectError(_ body: @autoclosure () throws -> Any, contains parts: [String],
                     sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try body()
            Issue.record("expected an error containing \(parts)", sourceLocation: sourceLocation)
        } catch {
            let message = "\(error)"
            for part in parts { #expect(message.contains(part), "\(message)", sourceLocation: sourceLocation) }
        }
    }
}
