import TxfCore
import TxfData
import TxfDist
import TxfModel

/// Accuracy and mean loss over a whole evaluation set, split across ranks with exact counts.
///
/// Rank r takes the contiguous block of rows ⌊rN/W⌋ ..< ⌊(r+1)N/W⌋, so the blocks tile all N
/// rows: no sample is seen twice or dropped, whatever W. Each rank sums (correct, loss, count)
/// in Double over its block, sorted by length so that batches pad little, and one all-reduce
/// gives the totals; every rank returns the same record.
public enum Evaluation {
    /// The rows `rank` evaluates out of `count`.
    public static func rows(count: Int, rank: Int, worldSize: Int) -> Range<Int> {
        count * rank / worldSize ..< count * (rank + 1) / worldSize
    }

    /// Evaluates `model` (dropout off) on `dataset` in batches of at most `batchSize` rows.
    public static func run(model: BertClassifier, dataset: TokenDataset, batchSize: Int,
                           communicator: any Communicator, step: Int) throws -> EvalRecord {
        let block = rows(count: dataset.rowCount, rank: communicator.rank, worldSize: communicator.worldSize)
        let ordered = block.sorted { a, b in
            let la = dataset.length(ofRow: a), lb = dataset.length(ofRow: b)
            return la != lb ? la > lb : a < b
        }
        var correct = 0.0, lossSum = 0.0
        var batch = MicroBatch()
        var start = 0
        while start < ordered.count {
            let rows = Array(ordered[start ..< min(start + batchSize, ordered.count)])
            try dataset.readRows(rows, into: &batch)
            let labels = batch.labels ?? []
            if let bad = labels.firstIndex(where: { $0 < 0 }) {
                throw TxfError("\(dataset.path): row \(rows[bad]) has no label; evaluation needs a labelled dataset")
            }
            lossSum += model.forward(batch, mode: .eval)
            for b in 0 ..< rows.count where model.predictedClass(row: b) == Int(labels[b]) { correct += 1 }
            start += rows.count
        }
        var totals = [correct, lossSum, Double(ordered.count)]
        communicator.allReduceSum(&totals)
        let count = Int(totals[2])
        precondition(count == dataset.rowCount, "evaluation counted \(count) of \(dataset.rowCount) rows")
        return EvalRecord(step: step, loss: totals[1] / max(1, totals[2]), accuracy: totals[0] / max(1, totals[2]), count: count)
    }
}

/// One evaluation over the whole evaluation set, every sample counted exactly once.
public struct EvalRecord: Sendable, Equatable {
    public var step: Int
    /// Mean cross-entropy over the set.
    public var loss: Double
    /// Fraction of samples whose arg-max class is the label.
    public var accuracy: Double
    /// Samples evaluated (the set's row count).
    public var count: Int

    public init(step: Int, loss: Double, accuracy: Double, count: Int) {
        self.step = step
        self.loss = loss
        self.accuracy = accuracy
        self.count = count
    }
}
