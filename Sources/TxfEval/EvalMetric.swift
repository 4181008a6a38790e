import TxfCore

/// The evaluation number that chooses `best.h5` and drives early stopping
/// (`--metric-for-best`). accuracy, f1 and mcc measure classifiers; pearson, spearman and mse
/// regression models; loss (the mean cross-entropy or squared error) either, and is a
/// masked-LM run's one metric (per picked token).
public enum EvalMetric: String, Codable, CaseIterable, Sendable {
    /// Fraction of samples classified right.
    case accuracy
    /// Macro F1 (`ClassificationMetrics.macroF1`).
    case f1
    /// Matthews correlation (`ClassificationMetrics.mcc`).
    case mcc
    /// Mean loss over the set: lower is better.
    case loss
    /// Pearson correlation of predictions and targets (`RegressionMetrics`).
    case pearson
    /// Spearman rank correlation (`RegressionMetrics`).
    case spearman
    /// Mean squared error of the predictions (`RegressionMetrics`): lower is better.
    case mse

    /// Whether a larger value is a better model.
    public var higherIsBetter: Bool { self != .loss && self != .mse }

    /// The task whose models this metric measures; nil for `loss`, which both have.
    public var task: ModelTask? {
        switch self {
        case .accuracy, .f1, .mcc: .classification
        case .pearson, .spearman, .mse: .regression
        case .loss: nil
        }
    }

    /// This metric's value in `record` (NaN where the record has none: a classifier's
    /// correlation, a regression model's accuracy).
    public func value(of record: EvalRecord) -> Double {
        switch self {
        case .accuracy: record.accuracy
        case .f1: record.f1
        case .mcc: record.mcc
        case .loss: record.loss
        case .pearson: record.regression?.pearson ?? .nan
        case .spearman: record.regression?.spearman ?? .nan
        case .mse: record.regression?.mse ?? .nan
        }
    }

    /// Whether `value` is strictly better than `best` (any value beats none; a tie or a NaN
    /// does not improve, so the earliest of equal evaluations stays the best).
    public func improves(_ value: Double, on best: Double?) -> Bool {
        guard let best else { return !value.isNaN }
        return higherIsBetter ? value > best : value < best
    }
}
