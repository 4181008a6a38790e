/// The evaluation number that chooses `best.h5` and drives early stopping
/// (`--metric-for-best`).
public enum EvalMetric: String, Codable, CaseIterable, Sendable {
    /// Fraction of samples classified right.
    case accuracy
    /// Macro F1 (`ClassificationMetrics.macroF1`).
    case f1
    /// Matthews correlation (`ClassificationMetrics.mcc`).
    case mcc
    /// Mean cross-entropy: the one where lower is better.
    case loss

    /// Whether a larger value is a better model.
    public var higherIsBetter: Bool { self != .loss }

    /// This metric's value in `record`.
    public func value(of record: EvalRecord) -> Double {
        switch self {
        case .accuracy: record.accuracy
        case .f1: record.f1
        case .mcc: record.mcc
        case .loss: record.loss
        }
    }

    /// Whether `value` is strictly better than `best` (any value beats none; a tie or a NaN
    /// does not improve, so the earliest of equal evaluations stays the best).
    public func improves(_ value: Double, on best: Double?) -> Bool {
        guard let best else { return !value.isNaN }
        return higherIsBetter ? value > best : value < best
    }
}
