import TxfCore
import TxfData
import TxfDist
import TxfModel

/// Accuracy, macro F1, MCC and mean loss over a whole evaluation set, split across ranks with
/// exact counts.
///
/// Rank r takes the contiguous block of rows ⌊rN/W⌋ ..< ⌊(r+1)N/W⌋, so the blocks tile all N
/// rows: no sample is seen twice or dropped, whatever W. Each rank sums (correct, loss, count,
/// confusion counts) in Double over its block, sorted by length so that batches pad little,
/// and one all-reduce gives the totals; every rank returns the same record.
public enum Evaluation {
    /// The rows `rank` evaluates out of `count`.
    public static func rows(count: Int, rank: Int, worldSize: Int) -> Range<Int> {
        count * rank / worldSize ..< count * (rank + 1) / worldSize
    }

    /// `rows` of `dataset` longest first (ties by row index), so that batches cut from them pad little.
    static func longestFirst(_ rows: some Sequence<Int>, of dataset: TokenDataset) -> [Int] {
        rows.sorted { a, b in
            let la = dataset.length(ofRow: a), lb = dataset.length(ofRow: b)
            return la != lb ? la > lb : a < b
        }
    }

    /// Evaluates `model` (dropout off) on `dataset` in batches of at most `batchSize` rows:
    /// `report`'s summary numbers (a regression model: `regressionReport`'s; a masked-LM model:
    /// `maskedLMRecord`'s), as the trainer
    /// logs them at `step`.
    public static func run(model: BertClassifier, dataset: TokenDataset, batchSize: Int,
                           communicator: any Communicator, step: Int) throws -> EvalRecord {
        if model.config.head == .maskedLM {
            return try maskedLMRecord(model: model, dataset: dataset, batchSize: batchSize, communicator: communicator, step: step)
        }
        if model.config.task == .regression {
            let report = try regressionReport(model: model, dataset: dataset, batchSize: batchSize, communicator: communicator)
            return EvalRecord(step: step, loss: report.loss, regression: report.metrics)
        }
        let report = try report(model: model, dataset: dataset, batchSize: batchSize, communicator: communicator)
        return EvalRecord(step: step, loss: report.loss, accuracy: report.accuracy, f1: report.metrics.macroF1,
                          mcc: report.metrics.mcc, count: report.count)
    }
}

/// One evaluation over the whole evaluation set, every sample counted exactly once.
public struct EvalRecord: Sendable, Equatable {
    public var step: Int
    /// Mean cross-entropy over the set (a masked-LM model's: per picked token).
    public var loss: Double
    /// Fraction of samples whose arg-max class is the label (a masked-LM model's: of picked
    /// tokens predicted exactly).
    public var accuracy: Double
    /// Macro F1 (`ClassificationMetrics.macroF1`).
    public var f1: Double
    /// Matthews correlation (`ClassificationMetrics.mcc`): 0 for a constant predictor.
    public var mcc: Double
    /// Samples evaluated (the set's row count).
    public var count: Int
    /// A regression model's MSE, Pearson and Spearman; nil for a classifier. A regression
    /// record's accuracy, f1 and mcc are NaN (it has none).
    public var regression: RegressionMetrics?
    /// A masked-LM model's picked tokens and accuracy over them; nil otherwise (its f1 and mcc
    /// are NaN).
    public var maskedLM: MaskedLMMetrics?

    public init(step: Int, loss: Double, accuracy: Double, f1: Double, mcc: Double, count: Int) {
        self.step = step
        self.loss = loss
        self.accuracy = accuracy
        self.f1 = f1
        self.mcc = mcc
        self.count = count
    }

    /// A regression model's record (`loss` the mean squared error as trained on).
    public init(step: Int, loss: Double, regression: RegressionMetrics) {
        self.init(step: step, loss: loss, accuracy: .nan, f1: .nan, mcc: .nan, count: regression.count)
        self.regression = regression
    }
}
