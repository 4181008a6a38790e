import Foundation
import Testing
import TxfCore
import TxfDist
import TxfHDF5
@testable import TxfEval
@testable import TxfStore
@testable import TxfTrain

/// `--metric-for-best` and `--early-stopping-patience`, checked against the rule applied by
/// hand to the evaluations a run logged in metrics.jsonl: which step `best.h5` holds, where a
/// run stops, what a resumed run carries over, and a 2-rank job that stops early.
@Suite(.serialized) struct BestAndEarlyStoppingTests {
    let fixture = TrainFixture.paths

    func config(out: String, steps: Int) -> TrainConfig { TrainFixture.oneLayerConfig(out: out, steps: steps, lr: 1e-2) }

    func train(_ c: TrainConfig) throws -> (Trainer, [TrainingEvent]) { try TrainFixture.trainAlone(c) }

    /// The eval lines of metrics.jsonl: step and the value of `metric`, as written.
    static func evaluations(_ directory: String, _ metric: EvalMetric) throws -> [(step: Int, value: Double)] {
        try String(contentsOfFile: directory + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").compactMap { line in
            guard line.contains(#""event":"eval""#), let step = jsonField(String(line), "step").flatMap(Int.init),
                  let value = jsonField(String(line), metric.rawValue).flatMap(Double.init) else { return nil }
            return (step, value)
        }
    }

    /// The rule applied by hand: the best (strictly better, earliest of ties) and, with
    /// `patience`, the evaluation after which the run stops.
    static func rule(_ evaluations: [(step: Int, value: Double)], lowerIsBetter: Bool, patience: Int)
        -> (best: (step: Int, value: Double), since: Int, stop: Int?) {
        var best = evaluations[0], since = 0
        for e in evaluations.dropFirst() {
            if lowerIsBetter ? e.value < best.value : e.value > best.value { best = e; since = 0 } else { since += 1 }
            if patience > 0 && since >= patience { return (best, since, e.step) }
        }
        return (best, since, nil)
    }

    static func best(_ path: String) throws -> (step: Int?, best: BestEvaluation?) {
        let meta = try ModelArchive(path: path, expecting: .checkpoint).meta.training
        return (meta?.step, meta?.best)
    }

    // --metric-for-best loss: best.h5 is written after exactly the evaluations whose loss is
    // below every earlier one, and holds the step of the lowest.
    @Test func lossChoosesTheLowestEvaluationLoss() throws {
        var c = config(out: TrainFixture.runDirectory("best-loss"), steps: 12)
        c.evalEvery = 1; c.metricForBest = .loss; c.lr = 3e-2
        let (_, events) = try train(c)
        var lowest = Double.infinity, expected: [Int] = [], written: [Int] = []
        for (i, event) in events.enumerated() {
            guard case .eval(let r) = event else { continue }
            if r.loss < lowest { lowest = r.loss; expected.append(r.step) }
            if i + 1 < events.count, case .checkpoint(let k) = events[i + 1], k.path.hasSuffix("best.h5") { written.append(k.step) }
        }
        #expect(written == expected && expected.count >= 2)
        let logged = try Self.evaluations(c.out!, .loss)
        let (step, value) = Self.rule(logged, lowerIsBetter: true, patience: 0).best
        #expect(logged.count == 12)
        let stored = try Self.best(c.out! + "/best.h5")
        #expect(stored.step == step && stored.best == BestEvaluation(metric: "loss", value: value, step: step))
    }

    // Patience 3 on accuracy, evaluated every 2 steps: the run stops at the evaluation the rule
    // names, writes final.h5 there and says why. Resumed from the step checkpoint one evaluation
    // after the best, it carries the best value and the count (1), so it stops at the same step
    // with the same best, not one evaluation later; resumed from its final.h5 it has nothing to do.
    @Test func earlyStoppingStopsWhereTheRuleSaysAndResumes() throws {
        // This small model stays a constant predictor for its first ~20 steps (accuracy 0.5 at
        // every evaluation), so the rule stops it soon; twoRanksStopTogether sees a real climb.
        var c = config(out: TrainFixture.runDirectory("early-stop"), steps: 60)
        c.evalEvery = 2; c.saveEvery = 2; c.keep = 100; c.earlyStoppingPatience = 3
        // The trainer holds --out's lock while it lives: keep only what it says.
        let (step, earlyStop) = try { () throws -> (Int, EarlyStop?) in
            let (trainer, _) = try train(c)
            return (trainer.step, trainer.earlyStop)
        }()
        let logged = try Self.evaluations(c.out!, .accuracy)
        let rule = Self.rule(logged, lowerIsBetter: false, patience: 3)
        let stop = try #require(rule.stop, "the rule never stops this run: \(logged)")
        #expect(step == stop && logged.last?.step == stop && stop < 60)
        let best = BestEvaluation(metric: "accuracy", value: rule.best.value, step: rule.best.step, evaluationsSince: 3)
        #expect(earlyStop == EarlyStop(best: best, config: c, step: stop))
        #expect(earlyStop?.message == "early stopping: accuracy has not improved for 3 evaluations since step \(rule.best.step) (\(String(format: "%.4f", rule.best.value)))")
        let final = try Self.best(c.out! + "/final.h5")
        #expect(final.step == stop && final.best == best)
        #expect(try Self.best(c.out! + "/best.h5").step == rule.best.step)

        // From the step checkpoint one evaluation after the best, in a directory of its own.
        let resumed = TrainFixture.runDirectory("early-stop-resumed"), after = rule.best.step + 2
        try RunDirectory(path: resumed).create()
        let from = RunDirectory(path: c.out!).stepPath(after)
        try FileManager.default.copyItem(atPath: from, toPath: RunDirectory(path: resumed).stepPath(after))
        #expect(try Self.best(from).best
                == BestEvaluation(metric: "accuracy", value: rule.best.value, step: rule.best.step, evaluationsSince: 1))
        var again = c
        again.out = resumed; again.resume = "auto"
        let (continued, _) = try train(again)
        #expect(continued.step == stop && continued.earlyStop == earlyStop)
        #expect(try Self.best(resumed + "/final.h5").best == best)
        #expect(!FileManager.default.fileExists(atPath: resumed + "/best.h5"), "no evaluation improved on the carried best")

        // The stopped run, resumed: the rule still holds at its final.h5, so nothing runs.
        var done = c
        done.resume = "auto"
        let (idle, events) = try train(done)
        #expect(idle.step == stop && events.isEmpty && idle.summary.contains("early stopping: accuracy has not improved"))
    }

    // Another --metric-for-best than the checkpoint's starts the comparison afresh; a
    // checkpoint written before the best_* attributes (best_accuracy only) still loads, its
    // value read as the accuracy with no step.
    @Test func oldAndOtherMetricCheckpoints() throws {
        // Without --eval, the step checkpoint records no best; then it is given an old one.
        var c = config(out: TrainFixture.runDirectory("best-legacy"), steps: 4)
        c.eval = nil; c.saveEvery = 2
        _ = try train(c)
        let path = RunDirectory(path: c.out!).stepPath(2)
        #expect(try Self.best(path).best == nil)
        let file = try H5File.open(path, writable: true)
        try file.setAttribute(ArchiveSchema.Attribute.bestAccuracy, 0.625)
        try file.close()
        #expect(try Self.best(path).best == BestEvaluation(metric: "accuracy", value: 0.625, step: nil))
        var resume = c
        resume.eval = fixture.dev
        resume.resume = path
        #expect(try Trainer(config: resume, communicator: SingleProcessCommunicator()).best?.value == 0.625)
        resume.metricForBest = .mcc
        #expect(try Trainer(config: resume, communicator: SingleProcessCommunicator()).best == nil)
    }

    @Test func settingsAreChecked() throws {
        var c = config(out: "o", steps: 4)
        c.earlyStoppingPatience = 3
        #expect(throws: TxfError.self) { try c.validate(worldSize: 1) }  // no --eval-every
        c.evalEvery = 2
        try c.validate(worldSize: 1)
        c.earlyStoppingPatience = -1
        #expect(throws: TxfError.self) { try c.validate(worldSize: 1) }
        var flags = TrainConfig()
        try TrainSetting.apply(flags: ["--metric-for-best", "mcc", "--early-stopping-patience", "4"], to: &flags)
        #expect(flags.metricForBest == .mcc && flags.earlyStoppingPatience == 4)
        #expect(TrainConfig().metricForBest == .accuracy && TrainConfig().earlyStoppingPatience == 0)
        #expect(throws: TxfError.self) { try TrainSetting.apply(flags: ["--metric-for-best", "auc"], to: &flags) }
    }

    // Two ranks under mpirun, patience 3 on macro F1: the job exits 0 with final.h5 at the
    // step the rule names from the logged evaluations, and rank 0 says why.
    @Test(.enabled(if: Job.mpirunAvailable, "mpirun not on PATH; install openmpi-bin"))
    func twoRanksStopTogether() throws {
        let out = TrainFixture.runDirectory("early-stop-2ranks")
        let job = try Job.train(ranks: 2, ["--train", fixture.train, "--eval", fixture.dev, "--out", out] + TrainFixture.modelFlags
                                + ["--global-batch", "32", "--max-steps", "120", "--lr", "3e-3", "--warmup-steps", "2", "--seed", "5",
                                   "--log-every", "10", "--eval-every", "8", "--metric-for-best", "f1", "--early-stopping-patience", "3"])
        #expect(job.status == 0 && !job.timedOut, "txf-train failed (\(job.status)): \(job.stderr)")
        // A constant predictor until step ~30, then macro F1 climbs to 1 and stays.
        let logged = try Self.evaluations(out, .f1)
        let rule = Self.rule(logged, lowerIsBetter: false, patience: 3)
        let stop = try #require(rule.stop, "the rule never stops this run: \(logged)")
        #expect(try Self.best(out + "/final.h5").step == stop && stop < 120 && logged.last?.step == stop)
        #expect(rule.best.step > logged[0].step + 16, "the best is past the constant start: \(logged)")
        #expect(job.stdout.contains("early stopping: f1 has not improved for 3 evaluations since step \(rule.best.step) (\(String(format: "%.4f", rule.best.value)))"),
                "\(job.stdout)")
    }
}
