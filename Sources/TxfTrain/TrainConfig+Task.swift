import TxfCore
import TxfEval
import TxfModel

/// What a run learns (`--objective`).
public enum TrainingObjective: String, Codable, CaseIterable, Sendable {
    /// The data's class labels (classification) or targets (regression).
    case supervised
    /// BERT's masked-token prediction on the data's text, its labels not read: pre-training
    /// (`TokenMasking`, `MaskedLMHead`); the checkpoint then starts a classifier (`--init`).
    case maskedLM = "masked-lm"

    /// The head the run's model carries.
    public var head: ModelHead { self == .maskedLM ? .maskedLM : .classifier }
}

extension TrainConfig {
    /// The metric that measures this run's models: `--metric-for-best` as given, refused when it
    /// measures the other task (f1 of a regression model, pearson of a classifier). Accuracy,
    /// the default, becomes pearson on regression data (GLUE's STS-B metric): the default
    /// cannot be told from the same word given on purpose, and a regression run should not
    /// need a flag to start.
    /// A masked-LM run has one metric, the loss per picked token (the default becomes it).
    func checkingMetric(for task: ModelTask) throws -> TrainConfig {
        var config = self
        if objective == .maskedLM {
            if metricForBest == .accuracy { config.metricForBest = .loss }
            guard config.metricForBest == .loss else {
                throw TxfError("--metric-for-best \(config.metricForBest.rawValue) measures a classifier or regression model; --objective masked-lm is measured by loss")
            }
            return config
        }
        if task == .regression && metricForBest == .accuracy { config.metricForBest = .pearson }
        if let measured = config.metricForBest.task, measured != task {
            let fitting = EvalMetric.allCases.filter { $0.task == nil || $0.task == task }.map(\.rawValue)
            throw TxfError("--metric-for-best \(config.metricForBest.rawValue) measures \(measured.rawValue) models but \(train ?? "--train") is \(task.rawValue) data; use one of \(fitting.joined(separator: ", "))")
        }
        return config
    }
}
