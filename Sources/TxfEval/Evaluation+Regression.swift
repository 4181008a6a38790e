import Foundation
import TxfCore
import TxfData
import TxfDist
import TxfModel

/// A regression model's evaluation over a whole dataset: the mean loss (the mean squared error
/// the model trains on) and `RegressionMetrics` of its predictions.
public struct RegressionReport: Sendable, Equatable {
    /// Mean squared error per sample, as the loss sums it (float32 per sample, summed in Double).
    public let loss: Double
    public let metrics: RegressionMetrics
    /// Each row's prediction, [rowCount] in dataset order, the same on every rank.
    public let predictions: [Double]

    public var count: Int { metrics.count }
}

extension Evaluation {
    /// Evaluates a regression `model` (dropout off) on `dataset` over all ranks, with the same
    /// numbers on any number of them.
    ///
    /// Spearman needs every prediction, so statistics are not summed: each rank writes its rows'
    /// predictions and squared errors into an N-long vector of zeros each, and one all-reduce
    /// sum assembles them (each entry is one rank's value plus zeros: exact). Rows are sorted by
    /// length once for the whole set and cut into batches of `batchSize`; batch k goes to rank
    /// k mod W. So every row is computed in the same batch, with the same padding, whatever W,
    /// and its logit is the same bits: a tie between two equal texts stays a tie. (The
    /// classifier's evaluation splits contiguous blocks instead; counts do not care.) Every
    /// rank then computes `RegressionMetrics` and the mean loss from the same vectors in row order.
    public static func regressionReport(model: BertClassifier, dataset: TokenDataset, batchSize: Int,
                                        communicator: any Communicator) throws -> RegressionReport {
        guard dataset.rowCount > 0 else { throw TxfError("\(dataset.path) has no rows; there is nothing to evaluate") }
        guard let targets = dataset.targets else {
            throw TxfError("\(dataset.path) holds class labels, not regression targets; a regression model is evaluated on data prepared with `txf prepare --task regression`")
        }
        let n = dataset.rowCount
        let ordered = longestFirst(0 ..< n, of: dataset)
        // [predictions (N), squared errors (N), rows evaluated]
        var totals = [Double](repeating: 0, count: 2 * n + 1)
        var batch = MicroBatch()
        for (k, start) in stride(from: 0, to: n, by: batchSize).enumerated()
        where k % communicator.worldSize == communicator.rank {
            let rows = Array(ordered[start ..< min(start + batchSize, n)])
            try dataset.readRows(rows, into: &batch)
            model.forward(batch, mode: .eval)
            let losses = model.sampleLosses
            for (b, row) in rows.enumerated() {
                totals[row] = Double(model.score(row: b))
                totals[n + row] = Double(losses[b])
            }
            totals[2 * n] += Double(rows.count)
        }
        communicator.allReduceSum(&totals)
        precondition(Int(totals[2 * n]) == n, "evaluation counted \(Int(totals[2 * n])) of \(n) rows")
        let predictions = Array(totals[0 ..< n])
        return RegressionReport(loss: totals[n ..< 2 * n].reduce(0, +) / Double(n),
                                metrics: RegressionMetrics(predictions: predictions, targets: targets.map(Double.init)),
                                predictions: predictions)
    }
}

extension RegressionReport {
    /// What `txf evaluate --json` prints for a regression model, one object with sorted keys:
    /// `{"count":1500,"loss":0.93,"mse":0.93,"pearson":0.71,"spearman":0.69}` (a NaN
    /// correlation, of a constant predictor, as null).
    public func json() -> String {
        func number(_ x: Double) -> Any { x.isFinite ? x : NSNull() }
        let object: [String: Any] = ["count": count, "loss": number(loss), "mse": number(metrics.mse),
                                     "pearson": number(metrics.pearson), "spearman": number(metrics.spearman)]
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    /// "mse 0.9312 | pearson 0.7120 | spearman 0.6934 | count 1500".
    public var summaryLine: String {
        String(format: "mse %.4f | pearson %.4f | spearman %.4f | count %d", metrics.mse, metrics.pearson, metrics.spearman, count)
    }
}
