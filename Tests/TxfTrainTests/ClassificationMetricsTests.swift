import Foundation
import TxfTestSupport
import Testing
import TxfCore
@testable import TxfEval

/// `ClassificationMetrics` against values worked out by hand (exact fractions) and against
/// scikit-learn; `EvaluationReport`'s JSON and table.
@Suite struct ClassificationMetricsTests {
    /// Exact to the last bits: each value is a short chain of operations on small integers.
    func expectExact(_ actual: Double, _ expected: Double, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        assertClose(actual, expected, relativeTolerance: 1e-14, absoluteTolerance: 1e-15, what, sourceLocation: sourceLocation)
    }

    // Binary: TN 5, FP 2, FN 1, TP 4. MCC = (TP·TN − FP·FN) / √((TP+FP)(TP+FN)(TN+FP)(TN+FN))
    // = 18 / √1260 = 3 / √35; F1 = 10/13 and 8/11, mean 107/143.
    @Test func binaryByHand() {
        let m = ClassificationMetrics(confusion: [[5, 2], [1, 4]])
        #expect(m.support == [7, 5])
        expectExact(m.precision[0], 5.0 / 6, "precision 0"); expectExact(m.precision[1], 2.0 / 3, "precision 1")
        expectExact(m.recall[0], 5.0 / 7, "recall 0"); expectExact(m.recall[1], 4.0 / 5, "recall 1")
        expectExact(m.f1[0], 10.0 / 13, "F1 0"); expectExact(m.f1[1], 8.0 / 11, "F1 1")
        expectExact(m.macroF1, 107.0 / 143, "macro F1")
        expectExact(m.mcc, 3 / 35.0.squareRoot(), "MCC")
        expectExact(m.accuracy, 0.75, "accuracy")
    }

    // Three classes, class 2 never predicted: its precision is 0 / 0 = 0 (zero_division=0), so
    // are its recall and F1. s = 10, t = (4, 3, 3), p = (6, 4, 0), c = 5: MCC = (5·10 − 36) /
    // √((100 − 52)(100 − 34)) = 14 / √3168 = 7 / (6 √22); macro F1 = (3/5 + 4/7 + 0) / 3.
    @Test func aClassNeverPredicted() {
        let m = ClassificationMetrics(confusion: [[3, 1, 0], [1, 2, 0], [2, 1, 0]])
        #expect(m.precision == [0.5, 0.5, 0] && m.recall[2] == 0 && m.f1[2] == 0 && m.support == [4, 3, 3])
        expectExact(m.f1[0], 3.0 / 5, "F1 0"); expectExact(m.f1[1], 4.0 / 7, "F1 1")
        expectExact(m.macroF1, 41.0 / 105, "macro F1")
        expectExact(m.mcc, 7 / (6 * 22.0.squareRoot()), "MCC")
    }

    // Always "1" on 7 ones and 3 zeros: accuracy 0.7 but MCC 0 (all predictions one class) and
    // macro F1 (0 + 14/17) / 2 = 7/17, where a real classifier of accuracy 0.7 scores ~0.7.
    @Test func aConstantPredictorStandsOut() {
        let m = ClassificationMetrics(confusion: [[0, 3], [0, 7]])
        #expect(m.accuracy == 0.7 && m.mcc == 0 && m.precision[0] == 0 && m.f1[0] == 0)
        expectExact(m.macroF1, 7.0 / 17, "macro F1")
        // All labels one class: MCC is 0 / 0, so 0, whatever the predictions.
        #expect(ClassificationMetrics(confusion: [[6, 4], [0, 0]]).mcc == 0)
        #expect(ClassificationMetrics(confusion: [[0, 0], [0, 0]]) == ClassificationMetrics(confusion: [[0, 0], [0, 0]]))
        #expect(ClassificationMetrics(confusion: [[0, 0], [0, 0]]).accuracy == 0)
    }

    // A class neither in the labels nor predicted (a 3-class model on 2-class data) is left out
    // of the macro mean, as scikit-learn without labels=: the numbers of the binary case.
    @Test func aClassThatDoesNotOccurIsLeftOut() {
        let binary = ClassificationMetrics(confusion: [[5, 2], [1, 4]])
        let three = ClassificationMetrics(confusion: [[5, 2, 0], [1, 4, 0], [0, 0, 0]])
        #expect(three.macroF1 == binary.macroF1 && three.mcc == binary.mcc && three.f1[2] == 0 && three.support[2] == 0)
    }

    /// Confusion matrices of `classes` classes from a fixed pseudo-random stream, as label lists.
    static func samples(count: Int, classes: Int, seed: UInt64, predict: (Int, Double) -> Int) -> (truth: [Int], predicted: [Int]) {
        let key = RandomKey(seed: seed)
        let truth = (0 ..< count).map { i in min(classes - 1, Int(Double(key.uniform(UInt64(i))) * Double(classes))) }
        let predicted = truth.enumerated().map { i, t in predict(t, Double(key.with(1).uniform(UInt64(i)))) }
        return (truth, predicted)
    }

    static func confusion(_ truth: [Int], _ predicted: [Int], classes: Int) -> [[Int]] {
        var c = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
        for (t, p) in zip(truth, predicted) { c[t][p] += 1 }
        return c
    }

    // scikit-learn 1.x on the same labels: precision_recall_fscore_support per class
    // (labels = every class, zero_division=0), f1_score macro (its own label set), MCC, accuracy.
    @Test(.enabled(if: Python.has("sklearn"), "scikit-learn is not importable here (launch/install-deps.sh installs it)"))
    func sameAsScikitLearn() throws {
        let cases: [(name: String, classes: Int, labels: (truth: [Int], predicted: [Int]))] = [
            ("binary", 2, Self.samples(count: 97, classes: 2, seed: 1) { t, u in u < 0.8 ? t : 1 - t }),
            ("3-class", 3, Self.samples(count: 150, classes: 3, seed: 2) { t, u in u < 0.6 ? t : Int(u * 10) % 3 }),
            ("constant", 3, Self.samples(count: 40, classes: 3, seed: 3) { _, _ in 1 }),
            ("never predicts 2", 3, Self.samples(count: 60, classes: 3, seed: 4) { t, u in t == 2 ? Int(u * 2) : t }),
            ("4 classes, class 3 absent", 4, Self.samples(count: 50, classes: 3, seed: 5) { t, u in u < 0.7 ? t : 0 }),
        ]
        let script = """
            import json, sys
            from sklearn.metrics import accuracy_score, f1_score, matthews_corrcoef, precision_recall_fscore_support
            out = []
            for case in json.load(open(sys.argv[1])):
                t, p, k = case["truth"], case["predicted"], case["classes"]
                pr, rc, f, s = precision_recall_fscore_support(t, p, labels=list(range(k)), average=None, zero_division=0)
                out.append({"precision": pr.tolist(), "recall": rc.tolist(), "f1": f.tolist(), "support": s.tolist(),
                            "macro_f1": f1_score(t, p, average="macro", zero_division=0),
                            "mcc": matthews_corrcoef(t, p), "accuracy": accuracy_score(t, p)})
            print(json.dumps(out))
            """
        let input = cases.map { ["truth": $0.labels.truth, "predicted": $0.labels.predicted, "classes": [$0.classes]] }
            .map { c in "{\"truth\":\(c["truth"]!),\"predicted\":\(c["predicted"]!),\"classes\":\(c["classes"]![0])}" }
        let path = TestScratch.path("sklearn.json")
        try Data(("[" + input.joined(separator: ",") + "]").utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try Python.run(["-c", script, path], timeout: 120)
        #expect(run.status == 0, "\(run.output)")
        let answers = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]])
        #expect(answers.count == cases.count)
        for (c, answer) in zip(cases, answers) {
            let m = ClassificationMetrics(confusion: Self.confusion(c.labels.truth, c.labels.predicted, classes: c.classes))
            #expect(m.support == answer["support"] as? [Int], "\(c.name) support")
            for (name, ours) in [("precision", m.precision), ("recall", m.recall), ("f1", m.f1)] {
                assertClose(ours, answer[name] as? [Double] ?? [], relativeTolerance: 1e-12, absoluteTolerance: 1e-15, "\(c.name) \(name)")
            }
            for (name, ours) in [("macro_f1", m.macroF1), ("mcc", m.mcc), ("accuracy", m.accuracy)] {
                assertClose(ours, answer[name] as? Double ?? .nan, relativeTolerance: 1e-12, absoluteTolerance: 1e-15, "\(c.name) \(name)")
            }
        }
        #expect((answers[2]["mcc"] as? Double) == 0, "scikit-learn's MCC of a constant predictor")
    }

    @Test func reportJSONAndTable() throws {
        let report = EvaluationReport(accuracy: 0.75, loss: 0.5, count: 12, confusion: [[5, 2], [1, 4]])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(report.json(labelNames: ["neg", "pos"]).utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["accuracy", "loss", "count", "confusion", "f1", "mcc", "per_class"])
        #expect(object["f1"] as? Double == report.metrics.macroF1 && object["mcc"] as? Double == report.metrics.mcc)
        let perClass = try #require(object["per_class"] as? [[String: Any]])
        #expect(perClass.map { $0["label"] as? String } == ["neg", "pos"] && perClass.map { $0["support"] as? Int } == [7, 5])
        #expect(perClass[1]["recall"] as? Double == 0.8)
        #expect(report.metricsTable(labelNames: ["neg", "pos"]) == """
               class  precision  recall      f1  support
                 neg     0.8333  0.7143  0.7692        7
                 pos     0.6667  0.8000  0.7273        5

            accuracy  0.7500
            macro F1  0.7483
                 MCC  0.5071
            """)
    }
}
