import Foundation
import Testing
import TxfCore
import TxfModel
@testable import TxfEval
@testable import TxfStore

/// `txf import-hf --task regression` and `txf export-hf` of the result, checked from outside
/// txf: the float64 NumPy BERT of hf_reference.py (transformers' BertForSequenceClassification
/// transcribed) gives txf's one logit per row, and config.json says what transformers needs to
/// build the regression head (num_labels 1, problem_type "regression": MSELoss on
/// logits.squeeze(), the loss txf trains with).
@Suite struct HFRegressionReferenceTests {
    @Test(.enabled(if: HFPython.numpyAvailable, "needs python3 with numpy and safetensors"))
    func regressionExportMatchesAFloat64NumPyBert() throws {
        let (source, _) = try HFFixture.directory()
        let file = HFFixture.temporary("regression.h5"), directory = HFFixture.temporary("regression-export")
        let summary = try HFImport.run(HFImportOptions(modelDirectory: source, output: file, seed: 7, task: .regression))
        #expect(summary.config.task == .regression && summary.config.numLabels == 1)
        #expect(summary.initialized.contains("classifier.weight"))
        // A fresh head gives logits near 0, where any error looks small: scale it to order 1.
        let model = try StoredModel(path: file)
        #expect(model.table["classifier.weight"]!.shape == [1, model.config.hiddenSize])
        for i in model.tensor("classifier.weight").indices { model.tensor("classifier.weight")[i] *= 50 }
        _ = try HFExport.export(model, to: directory)

        let rows: [[Int32]] = [[2, 5, 20, 7, 3], [2, 3], [2, 30, 31, 8, 9, 10, 11, 12, 3], [2, 36, 0, 3]]
        let out = try HFPython.reference("numpy", directory, input: rows.map { $0.map(Int.init) })
        let config = try #require(out["config"] as? [String: Any])
        #expect(config["num_labels"] as? Int == 1 && config["problem_type"] as? String == "regression")
        let reference = HFPython.doubles(out["logits"])
        let ours = try HFPython.txfLogits(model, rows: rows)
        #expect(reference.count == rows.count && reference.allSatisfy { $0.count == 1 })
        for (r, (a, e)) in zip(ours, reference).enumerated() {
            assertClose(a, e, relativeTolerance: 0, absoluteTolerance: 1e-4, "row \(r) score")
        }
        #expect(Set(ours.map { $0[0] }).count == rows.count)
        // What predict reports is that logit.
        let net = try Predictor(stored: model).model(seqLen: 9)
        _ = net.forward(MicroBatch(rows: rows, labels: nil, padID: 0), mode: .eval)
        for r in rows.indices { #expect(net.score(row: r) == ours[r][0]) }
    }

    @Test func importRefusesSeveralOutputsForRegression() throws {
        let (source, _) = try HFFixture.directory()
        #expect(throws: TxfError.self) {
            try HFImport.run(HFImportOptions(modelDirectory: source, output: HFFixture.temporary("bad.h5"), numLabels: 3, task: .regression))
        }
    }
}
