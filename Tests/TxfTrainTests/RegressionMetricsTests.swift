import Foundation
import Testing
@testable import TxfEval

/// MSE, Pearson and Spearman (`RegressionMetrics`) against hand-computed values and scipy.
struct RegressionMetricsTests {
    @Test func handComputedValues() {
        // Means 2.5; deviations (−1.5, −.5, .5, 1.5) and (−1.5, .5, −.5, 1.5): Σxy 4, Σx² = Σy² = 5.
        let m = RegressionMetrics(predictions: [1, 2, 3, 4], targets: [1, 3, 2, 4])
        #expect(m.mse == 0.5 && m.count == 4)
        expectExact(m.pearson, 0.8, "pearson")
        expectExact(m.spearman, 0.8, "spearman (no ties: the ranks are the values)")
        // Ties share their average rank, as scipy.stats.rankdata(method="average").
        #expect(RegressionMetrics.averageRanks([10, 20, 20, 5]) == [2, 3.5, 3.5, 1])
        #expect(RegressionMetrics.averageRanks([7, 7, 7]) == [2, 2, 2])
        // Monotone but not linear: Spearman 1, Pearson below it.
        let curved = RegressionMetrics(predictions: [1, 2, 3, 10], targets: [1, 2, 3, 4])
        expectExact(curved.spearman, 1, "spearman of a monotone relation")
        #expect(curved.pearson < 0.95)
        // A constant predictor has no correlation: NaN, as scipy says, so it stands out.
        let constant = RegressionMetrics(predictions: [2, 2, 2], targets: [1, 2, 3])
        #expect(constant.pearson.isNaN && constant.spearman.isNaN && constant.mse == 2.0 / 3)
    }

    func expectExact(_ a: Double, _ b: Double, _ what: String) {
        assertClose(a, b, relativeTolerance: 1e-14, absoluteTolerance: 1e-15, what)
    }

    /// 200 seeded random lists with many ties (values rounded to 0.5), against scipy.stats.
    @Test(.enabled(if: Python.has("scipy"), "needs python3 with scipy (python3 -m pip install scipy)"))
    func agreesWithScipy() throws {
        var cases: [[[Double]]] = []
        for k in 0 ..< 200 {
            let n = 3 + k % 40
            let p = (0 ..< n).map { i in (sin(Double(k * 31 + i * 7)) * 6).rounded() / 2 }
            let y = (0 ..< n).map { i in (cos(Double(k * 17 + i * 3)) * 5 + Double(i % 3)).rounded() / 2 }
            cases.append([p, y])
        }
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("txf-regression-\(getpid()).json")
        try JSONSerialization.data(withJSONObject: cases).write(to: input)
        defer { try? FileManager.default.removeItem(at: input) }
        let script = """
        import json, sys, warnings
        from scipy import stats
        warnings.simplefilter("ignore")
        out = []
        for p, y in json.load(open(sys.argv[1])):
            r = stats.pearsonr(p, y)[0] if len(set(p)) > 1 and len(set(y)) > 1 else None
            s = stats.spearmanr(p, y)[0] if len(set(p)) > 1 and len(set(y)) > 1 else None
            out.append([sum((a - b) ** 2 for a, b in zip(p, y)) / len(p), r, s])
        print(json.dumps(out))
        """
        let job = try Python.run(["-c", script, input.path])
        try #require(job.status == 0, "\(job.stderr)")
        let reference = try #require(try JSONSerialization.jsonObject(with: Data(job.lines.last!.utf8)) as? [[Any]])
        var compared = 0
        for (k, pair) in cases.enumerated() {
            let m = RegressionMetrics(predictions: pair[0], targets: pair[1])
            let mse = (reference[k][0] as! NSNumber).doubleValue
            assertClose(m.mse, mse, relativeTolerance: 1e-12, absoluteTolerance: 1e-14, "case \(k) mse")
            if let r = reference[k][1] as? NSNumber, let s = reference[k][2] as? NSNumber {
                assertClose(m.pearson, r.doubleValue, relativeTolerance: 1e-10, absoluteTolerance: 1e-12, "case \(k) pearson")
                assertClose(m.spearman, s.doubleValue, relativeTolerance: 1e-10, absoluteTolerance: 1e-12, "case \(k) spearman")
                compared += 1
            } else {
                #expect(m.pearson.isNaN && m.spearman.isNaN, "case \(k): constant side")
            }
        }
        #expect(compared > 150)
    }
}
