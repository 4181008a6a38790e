/// Per-class precision, recall, F1 and support, accuracy, macro F1 and Matthews correlation
/// of one confusion matrix, as scikit-learn computes them.
///
/// With C[t][p] the samples of true class t predicted as p, s = Σ C, c = Σ_k C[k][k],
/// t_k = Σ_p C[k][p] (support) and p_k = Σ_t C[t][k] (predictions of k):
///
///     precision_k = C[k][k] / p_k          recall_k = C[k][k] / t_k
///     F1_k = 2 · precision_k · recall_k / (precision_k + recall_k)
///     macro F1 = mean of F1_k over the classes that occur (t_k + p_k > 0)
///     MCC = (c · s − Σ_k p_k t_k) / √((s² − Σ_k p_k²) · (s² − Σ_k t_k²))
///
/// MCC is Gorodkin's R_K, scikit-learn's `matthews_corrcoef` (binary: the usual
/// (TP·TN − FP·FN) / √(…)). Every 0 / 0 is 0, as scikit-learn with `zero_division=0`: the
/// precision of a class never predicted, the recall of a class absent from the labels, the
/// F1 of a class with both 0, and the MCC when all predictions or all labels are one class.
/// So a constant predictor scores MCC 0 and a macro F1 of 2a / (1 + a) divided by the classes
/// that occur (a its accuracy), however skewed the data makes its accuracy. Classes neither in the labels
/// nor predicted are left out of the macro mean, as scikit-learn does without `labels=`.
public struct ClassificationMetrics: Sendable, Equatable {
    /// [classes]: C[k][k] / p_k, 0 when class k is never predicted.
    public let precision: [Double]
    /// [classes]: C[k][k] / t_k, 0 when class k has no samples.
    public let recall: [Double]
    /// [classes]: harmonic mean of precision and recall, 0 when both are 0.
    public let f1: [Double]
    /// [classes]: samples whose label is k (t_k).
    public let support: [Int]
    /// c / s; 0 for an empty matrix.
    public let accuracy: Double
    /// Unweighted mean of `f1` over the classes that occur.
    public let macroF1: Double
    /// Matthews correlation in [−1, 1]; 0 when undefined.
    public let mcc: Double

    /// The metrics of `confusion` ([classes][classes]: row = true class, column = predicted).
    public init(confusion: [[Int]]) {
        let classes = confusion.count
        precondition(confusion.allSatisfy { $0.count == classes }, "a confusion matrix is square")
        let truth = confusion.map { Double($0.reduce(0, +)) }
        let predicted = (0 ..< classes).map { k in Double(confusion.reduce(0) { $0 + $1[k] }) }
        let hits = (0 ..< classes).map { Double(confusion[$0][$0]) }
        func ratio(_ a: Double, _ b: Double) -> Double { b == 0 ? 0 : a / b }
        let precision = (0 ..< classes).map { ratio(hits[$0], predicted[$0]) }
        let recall = (0 ..< classes).map { ratio(hits[$0], truth[$0]) }
        let f1 = (0 ..< classes).map { ratio(2 * precision[$0] * recall[$0], precision[$0] + recall[$0]) }
        self.precision = precision
        self.recall = recall
        self.f1 = f1
        support = truth.map { Int($0) }
        let s = truth.reduce(0, +), c = hits.reduce(0, +)
        accuracy = ratio(c, s)
        let occurring = (0 ..< classes).filter { truth[$0] + predicted[$0] > 0 }
        macroF1 = ratio(occurring.reduce(0) { $0 + f1[$1] }, Double(occurring.count))
        // In Double: the products of counts reach s², past Int64 only beyond ~3·10⁹ samples,
        // and the square root needs floating point anyway.
        let covariance = c * s - zip(predicted, truth).reduce(0) { $0 + $1.0 * $1.1 }
        let predictedSpread = s * s - predicted.reduce(0) { $0 + $1 * $1 }
        let truthSpread = s * s - truth.reduce(0) { $0 + $1 * $1 }
        mcc = predictedSpread * truthSpread == 0 ? 0 : covariance / (predictedSpread.squareRoot() * truthSpread.squareRoot())
    }
}
