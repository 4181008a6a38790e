import TxfEval
import TxfStore

extension Trainer {
    /// Evaluates on `--eval` (if given) and compares the result with the best so far of
    /// `--metric-for-best`: a strictly better value writes `best.h5` (rank 0) and restarts the
    /// count of evaluations without improvement, anything else adds one to it.
    ///
    /// Every rank evaluates the same all-reduced counts, so every rank reaches the same verdict;
    /// rank 0's is broadcast all the same, because writing `best.h5` is a collective (the
    /// optimizer state is gathered) and early stopping leaves the loop: a rank that disagreed on
    /// the last bit of a loss sum would wait forever in either.
    func evaluate(_ emit: (TrainingEvent) -> Void) throws {
        guard let eval else { return }
        communicator.watch?.enter(.evaluation, step: step)  // stall deadline
        let record = try Evaluation.run(model: model, dataset: eval, batchSize: evalBatch,
                                        communicator: communicator, step: step)
        emit(.eval(record))
        let metric = config.metricForBest, value = metric.value(of: record)
        var verdict: [UInt8] = [metric.improves(value, on: best?.value) ? 1 : 0]
        communicator.broadcast(&verdict, root: 0)
        if verdict[0] == 1 {
            best = BestEvaluation(metric: metric.rawValue, value: value, step: step)
            try writeCheckpoint(to: directory.bestPath, moments: false, emit)
        } else if best != nil {
            best!.evaluationsSince += 1
        }
    }

    /// Whether the last evaluation ends the run (`--early-stopping-patience`), the same on every
    /// rank: `best` is updated on each from rank 0's verdict.
    func stopsEarly() -> EarlyStop? {
        EarlyStop(best: best, config: config, step: step)
    }
}

/// Why a run ended before its last step: `--metric-for-best` did not improve for
/// `--early-stopping-patience` evaluations in a row.
public struct EarlyStop: Sendable, Equatable {
    public let metric: EvalMetric
    public let patience: Int
    /// The best evaluation, the one the run could not improve on.
    public let best: BestEvaluation
    /// The step the run stopped after.
    public let step: Int

    /// The stop that `best` implies under `config`'s rule at `step`; nil when the run goes on
    /// (patience 0, no evaluation yet, or fewer evaluations without improvement than patience).
    init?(best: BestEvaluation?, config: TrainConfig, step: Int) {
        let patience = config.earlyStoppingPatience
        guard patience > 0, let best, best.metric == config.metricForBest.rawValue,
              best.evaluationsSince >= patience else { return nil }
        self.metric = config.metricForBest
        self.patience = patience
        self.best = best
        self.step = step
    }

    /// "early stopping: f1 has not improved for 3 evaluations since step 500 (0.8912)".
    public var message: String {
        let since = best.step.map { "since step \($0)" } ?? "since the best evaluation (step not recorded)"
        let evaluations = best.evaluationsSince == 1 ? "1 evaluation" : "\(best.evaluationsSince) evaluations"
        return "early stopping: \(metric.rawValue) has not improved for \(evaluations) \(since) (\(String(format: "%.4f", best.value)))"
    }
}
