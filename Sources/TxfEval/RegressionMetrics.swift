import Foundation

/// Mean squared error, Pearson and Spearman correlation of a regression model's predictions
/// against the targets, as scipy computes them (GLUE's STS-B metrics).
///
/// With predictions p and targets y over n samples:
///
///     MSE      = Σ (p_i − y_i)² / n
///     Pearson  = Σ (p_i − p̄)(y_i − ȳ) / √(Σ (p_i − p̄)² · Σ (y_i − ȳ)²)   (scipy.stats.pearsonr)
///     Spearman = Pearson of the ranks, tied values sharing their average rank
///                (scipy.stats.spearmanr, rankdata "average")
///
/// A correlation is NaN when either side is constant (0 / 0), as scipy returns it: a constant
/// predictor stands out rather than scoring 0, and NaN never counts as an improvement for
/// `--metric-for-best`. Everything is in Double, from the predictions' float32 values.
public struct RegressionMetrics: Sendable, Equatable {
    public let mse: Double
    public let pearson: Double
    public let spearman: Double
    public let count: Int

    /// The metrics of `predictions` against `targets` (same length, at least one sample).
    public init(predictions: [Double], targets: [Double]) {
        precondition(predictions.count == targets.count && !targets.isEmpty, "one prediction per target")
        count = targets.count
        mse = zip(predictions, targets).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(count)
        pearson = Self.pearson(predictions, targets)
        spearman = Self.pearson(Self.averageRanks(predictions), Self.averageRanks(targets))
    }

    /// Pearson's r of two equally long lists (NaN when either is constant). The means are
    /// taken first and the deviations summed, as scipy does, not the one-pass formula, which
    /// cancels badly when the values are far from 0.
    public static func pearson(_ x: [Double], _ y: [Double]) -> Double {
        let n = Double(x.count)
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for (a, b) in zip(x, y) {
            sxy += (a - mx) * (b - my)
            sxx += (a - mx) * (a - mx)
            syy += (b - my) * (b - my)
        }
        guard sxx > 0, syy > 0 else { return .nan }
        // Rounding can carry |r| a hair past 1; scipy clips it too.
        return max(-1, min(1, sxy / (sxx.squareRoot() * syy.squareRoot())))
    }

    /// 1-based ranks of `values`, ties given the mean of the ranks they span
    /// (scipy.stats.rankdata, method "average"): [10, 20, 20, 5] → [2, 3.5, 3.5, 1].
    public static func averageRanks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var start = 0
        while start < order.count {
            var end = start + 1
            while end < order.count && values[order[end]] == values[order[start]] { end += 1 }
            // Positions start..<end hold one value: ranks start+1 ... end, whose mean is this.
            let rank = Double(start + 1 + end) / 2
            for k in start ..< end { ranks[order[k]] = rank }
            start = end
        }
        return ranks
    }
}
