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
    /// Evaluates a regression `model` (dropout off) on `dataset` split over the ranks as `run`
    /// does. Spearman needs every prediction, so each rank writes its block's predictions into
    /// its rows of an N-long vector of zeros and one all-reduce sum assembles them: each entry
    /// is one rank's value plus zeros, exact, so every rank computes the metrics from the same
    /// vector in the same order, whatever the number of ranks.
    public static func regressionReport(model: BertClassifier, dataset: TokenDataset, batchSize: Int,
                                        communicator: any Communicator) throws -> RegressionReport {
        guard dataset.rowCount > 0 else { throw TxfError("\(dataset.path) has no rows; there is nothing to evaluate") }
        guard let targets = dataset.targets else {
            throw TxfError("\(dataset.path) holds class labels, not regression targets; a regression model is evaluated on data prepared with `txf prepare --task regression`")
        }
        let n = dataset.rowCount
        let block = rows(count: n, rank: communicator.rank, worldSize: communicator.worldSize)
        let ordered = block.sorted { a, b in
            let la = dataset.length(ofRow: a), lb = dataset.length(ofRow: b)
            return la != lb ? la > lb : a < b
        }
        // [predictions (N), Σ loss, count]
        var totals = [Double](repeating: 0, count: n + 2)
        var batch = MicroBatch()
        var start = 0
        while start < ordered.count {
            let rows = Array(ordered[start ..< min(start + batchSize, ordered.count)])
            try dataset.readRows(rows, into: &batch)
            totals[n] += model.forward(batch, mode: .eval)
            for (b, row) in rows.enumerated() { totals[row] = Double(model.score(row: b)) }
            start += rows.count
        }
        totals[n + 1] = Double(ordered.count)
        communicator.allReduceSum(&totals)
        precondition(Int(totals[n + 1]) == n, "evaluation counted \(Int(totals[n + 1])) of \(n) rows")
        let predictions = Array(totals[0 ..< n])
        return RegressionReport(loss: totals[n] / Double(n),
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
