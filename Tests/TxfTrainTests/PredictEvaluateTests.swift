import Foundation
import Testing
import TxfCore
import TxfData
import TxfDist
import TxfModel
@testable import TxfEval
@testable import TxfStore
@testable import TxfTrain

@Suite struct PredictEvaluateTests {
    let fixture = TrainFixture.paths

    /// The dev set's texts and labels as written (header skipped).
    func devTexts() throws -> [(text: String, label: Int)] {
        try String(contentsOfFile: fixture.directory + "/dev.tsv", encoding: .utf8)
            .split(separator: "\n").dropFirst().map { line in
                let parts = line.split(separator: "\t")
                return (String(parts[0]), Int(parts[1])!)
            }
    }

    /// Evaluation.report (batches of 7, sorted by length, one all-reduce) equals a pass over
    /// the same rows one at a time with the loss computed here in Double from the logits.
    @Test func evaluateEqualsAHandComputedPass() throws {
        let stored = try StoredModel(path: LoRAFixture.base)
        let dataset = try TokenDataset(path: fixture.dev)
        let report = try Evaluation.report(model: try Predictor(stored: stored, batchSize: 7).model(seqLen: 16), dataset: dataset,
                                           batchSize: 7, communicator: SingleProcessCommunicator())
        let single = try Predictor(stored: stored, batchSize: 1).model(seqLen: 16)
        var correct = 0, loss = 0.0
        var confusion = [[Int]](repeating: [0, 0], count: 2)
        for row in 0 ..< dataset.rowCount {
            let batch = try dataset.readRows([row])
            single.forward(MicroBatch(tokens: batch.tokens, lengths: [batch.lengths[0]], seqLen: batch.seqLen, labels: nil, sampleIndices: [0]), mode: .eval)
            let z = single.logits.map(Double.init), label = Int(batch.labels![0])
            let m = z.max()!
            loss += m + log(z.map { exp($0 - m) }.reduce(0, +)) - z[label]
            let predicted = z[1] > z[0] ? 1 : 0
            if predicted == label { correct += 1 }
            confusion[label][predicted] += 1
        }
        #expect(report.count == dataset.rowCount && report.count == 50)
        #expect(report.accuracy == Double(correct) / 50)
        #expect(report.confusion == confusion)
        assertClose(report.loss, loss / 50, relativeTolerance: 1e-5, absoluteTolerance: 0, "mean loss")
        // Evaluation.run (the trainer's) gives the same numbers.
        let record = try Evaluation.run(model: try Predictor(stored: stored, batchSize: 7).model(seqLen: 16), dataset: dataset,
                                        batchSize: 7, communicator: SingleProcessCommunicator(), step: 0)
        #expect(record.accuracy == report.accuracy && record.loss == report.loss && record.count == report.count)
        #expect(record.f1 == ClassificationMetrics(confusion: confusion).macroF1 && record.mcc == ClassificationMetrics(confusion: confusion).mcc)
    }

    /// A TSV is tokenized with the checkpoint's own vocab and max length: the same rows, so
    /// the same report as the prepared .h5.
    @Test func aTSVNeedsNothingButTheCheckpoint() throws {
        let stored = try StoredModel(path: LoRAFixture.base)
        let (tsv, cleanup) = try EvaluationData.open(fixture.directory + "/dev.tsv", for: stored)
        defer { cleanup() }
        let h5 = try TokenDataset(path: fixture.dev)
        #expect(tsv.offsets == h5.offsets && tsv.labels == h5.labels)
        let model = try Predictor(stored: stored, batchSize: 8).model(seqLen: 16)
        let a = try Evaluation.report(model: model, dataset: tsv, batchSize: 8, communicator: SingleProcessCommunicator())
        let b = try Evaluation.report(model: model, dataset: h5, batchSize: 8, communicator: SingleProcessCommunicator())
        #expect(a == b)
        #expect(a.json().contains("\"accuracy\":") && a.json().contains("\"count\":50"))
    }

    /// Predictions tokenize as `txf prepare` did, give the logits of a plain forward of those
    /// tokens, probabilities that are their softmax, and the argmax's label.
    @Test func predictionsFollowTheModel() throws {
        let texts = try devTexts().prefix(12).map(\.text)
        let predictor = try Predictor(path: LoRAFixture.base, batchSize: 5)
        let predictions = try predictor.predict(texts)
        let dataset = try TokenDataset(path: fixture.dev)
        let single = try Predictor(path: LoRAFixture.base, batchSize: 1).model(seqLen: 16)
        for (i, p) in predictions.enumerated() {
            #expect(p.text == texts[i])
            #expect(p.tokenIds == (try dataset.tokens(ofRow: i)))
            single.forward(MicroBatch(rows: [p.tokenIds], labels: nil), mode: .eval)
            for (x, y) in zip(p.logits, single.logits) { assertClose(Double(x), Double(y), relativeTolerance: 1e-5, absoluteTolerance: 1e-6, "logit") }
            let m = p.logits.max()!
            let e = p.logits.map { exp(Double($0 - m)) }
            for (q, ei) in zip(p.probabilities, e) { assertClose(Double(q), ei / e.reduce(0, +), relativeTolerance: 1e-6, absoluteTolerance: 1e-7, "probability") }
            #expect(p.labelIndex == (p.logits[1] > p.logits[0] ? 1 : 0) && p.label == String(p.labelIndex))
        }
        let object = try JSONSerialization.jsonObject(with: Data(predictions[0].json().utf8)) as! [String: Any]
        #expect(Set(object.keys) == ["text", "label", "probabilities", "logits"])
        #expect(object["text"] as? String == texts[0] && (object["logits"] as? [Double])?.count == 2)
    }

    /// `txf predict --output-format jsonl` prints one object per text; `txf evaluate --json` on 2 ranks gives
    /// the counts of 1 rank, so the same confusion matrix and metrics (and the loss up to
    /// summation order); without --json it prints the per-class table.
    @Test(.enabled(if: Job.mpirunAvailable, "mpirun not on PATH"))
    func commandLines() throws {
        let predicted = try Job.run("txf", ranks: nil, ["predict", "--model", LoRAFixture.base, "--output-format", "jsonl", "a good film", "the plot was dull"])
        #expect(predicted.status == 0, "\(predicted.stderr)")
        let lines = predicted.stdout.split(separator: "\n")
        #expect(lines.count == 2 && lines.allSatisfy { $0.hasPrefix("{") && $0.contains("\"probabilities\":") })
        var results: [[String: Any]] = []
        for ranks in [1, 2] {
            let run = try Job.run("txf", ranks: ranks, ["evaluate", "--model", LoRAFixture.base, "--data", fixture.directory + "/dev.tsv", "--json"])
            #expect(run.status == 0, "\(run.stderr)")
            let line = run.stdout.split(separator: "\n").first.map(String.init) ?? ""
            results.append((try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]) ?? [:])
        }
        #expect(results[0]["count"] as? Int == 50 && results[1]["count"] as? Int == 50)
        #expect(results[0]["accuracy"] as? Double == results[1]["accuracy"] as? Double)
        #expect(results[0]["confusion"] as? [[Int]] == results[1]["confusion"] as? [[Int]] && results[0]["confusion"] != nil)
        for key in ["f1", "mcc"] { #expect(results[0][key] as? Double == results[1][key] as? Double && results[0][key] != nil, "\(key)") }
        let perClass = results.map { ($0["per_class"] as? [[String: Any]] ?? []).map { NSDictionary(dictionary: $0) } }
        #expect(perClass[0].count == 2 && perClass[0] == perClass[1])
        let text = try Job.run("txf", ranks: nil, ["evaluate", "--model", LoRAFixture.base, "--data", fixture.dev])
        #expect(text.status == 0 && text.stdout.contains("  precision  recall      f1  support\n"), "\(text.output)")
        let mcc = String(format: "%.4f", results[0]["mcc"] as? Double ?? .nan)
        #expect(text.stdout.contains("\n     MCC  \(mcc)") && text.stdout.contains("\nmacro F1  "), "\(text.stdout)")
        assertClose(results[1]["loss"] as? Double ?? .nan, results[0]["loss"] as? Double ?? 0, relativeTolerance: 1e-6, absoluteTolerance: 0, "loss")
    }
}
