import TxfCore
import TxfEval

extension TrainConfig {
    /// The metric that measures this run's models: `--metric-for-best` as given, refused when it
    /// measures the other task (f1 of a regression model, pearson of a classifier). Accuracy,
    /// the default, becomes pearson on regression data (GLUE's STS-B metric): the default
    /// cannot be told from the same word given on purpose, and a regression run should not
    /// need a flag to start.
    func checkingMetric(for task: ModelTask) throws -> TrainConfig {
        var config = self
        if task == .regression && metricForBest == .accuracy { config.metricForBest = .pearson }
        if let measured = config.metricForBest.task, measured != task {
            let fitting = EvalMetric.allCases.filter { $0.task == nil || $0.task == task }.map(\.rawValue)
            throw TxfError("--metric-for-best \(config.metricForBest.rawValue) measures \(measured.rawValue) models but \(train ?? "--train") is \(task.rawValue) data; use one of \(fitting.joined(separator: ", "))")
        }
        return config
    }
}
