import TxfCore
import TxfData
import TxfDist
import TxfModel

/// Accuracy, mean loss, count, confusion matrix and the metrics read from it, of a model over a
/// whole dataset.
public struct EvaluationReport: Sendable, Equatable {
    public let accuracy: Double
    /// Mean cross-entropy per sample.
    public let loss: Double
    public let count: Int
    /// [numLabels][numLabels]: row = true class, column = predicted class.
    public let confusion: [[Int]]
    /// Per-class precision / recall / F1 / support, macro F1 and MCC of `confusion`.
    public let metrics: ClassificationMetrics

    public init(accuracy: Double, loss: Double, count: Int, confusion: [[Int]]) {
        self.accuracy = accuracy
        self.loss = loss
        self.count = count
        self.confusion = confusion
        metrics = ClassificationMetrics(confusion: confusion)
    }
}

extension Evaluation {
    /// Evaluates `model` (dropout off) on `dataset` split over the ranks as `run` does (each rank
    /// its block of rows, sorted by length, batches of `batchSize`), with one all-reduce of
    /// (correct, Σ loss, count, confusion counts) in Double, so every rank returns the same
    /// report and the metrics read from the summed confusion matrix are the whole set's.
    /// An empty dataset is an error (an accuracy of 0 / 0 is no measurement).
    public static func report(model: BertClassifier, dataset: TokenDataset, batchSize: Int,
                              communicator: any Communicator) throws -> EvaluationReport {
        guard dataset.rowCount > 0 else { throw TxfError("\(dataset.path) has no rows; there is nothing to evaluate") }
        let classes = model.config.numLabels
        let block = rows(count: dataset.rowCount, rank: communicator.rank, worldSize: communicator.worldSize)
        let ordered = longestFirst(block, of: dataset)
        // [correct, Σ loss, count, confusion (classes²)]
        var totals = [Double](repeating: 0, count: 3 + classes * classes)
        var batch = MicroBatch()
        var start = 0
        while start < ordered.count {
            let rows = Array(ordered[start ..< min(start + batchSize, ordered.count)])
            try dataset.readRows(rows, into: &batch)
            let labels = batch.labels ?? []
            if let bad = labels.firstIndex(where: { $0 < 0 || Int($0) >= classes }) {
                throw TxfError("\(dataset.path): row \(rows[bad]) has label \(labels[bad]), not a class of this \(classes)-class model; evaluation needs a labelled dataset")
            }
            totals[1] += model.forward(batch, mode: .eval)
            for b in 0 ..< rows.count {
                let predicted = model.predictedClass(row: b), truth = Int(labels[b])
                if predicted == truth { totals[0] += 1 }
                totals[3 + truth * classes + predicted] += 1
            }
            start += rows.count
        }
        totals[2] = Double(ordered.count)
        communicator.allReduceSum(&totals)
        let count = Int(totals[2])
        precondition(count == dataset.rowCount, "evaluation counted \(count) of \(dataset.rowCount) rows")
        let confusion = (0 ..< classes).map { t in (0 ..< classes).map { p in Int(totals[3 + t * classes + p]) } }
        return EvaluationReport(accuracy: totals[0] / max(1, totals[2]), loss: totals[1] / max(1, totals[2]),
                                count: count, confusion: confusion)
    }
}
