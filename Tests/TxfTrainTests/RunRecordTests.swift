import Foundation
import Testing
import TxfCore
import TxfDist
import TxfEval
@testable import TxfTrain

/// What a run leaves for people and programs: `config.json` read back field by field, and the
/// end-of-run summary, from its lines to the files it names, for a fresh and a resumed run.
@Suite struct RunRecordTests {
    let fixture = TrainFixture.paths

    func config(out: String) -> TrainConfig {
        var c = TrainConfig()
        c.train = fixture.train; c.eval = fixture.dev; c.out = out
        c.layers = 1; c.hidden = 16; c.heads = 2; c.ffn = 32; c.maxLength = 16
        c.globalBatch = 16; c.maxSteps = 6; c.lr = 3e-3; c.logEvery = 1; c.seed = 11
        c.saveEvery = 2; c.evalEvery = 2; c.keep = 3
        return c
    }

    func readRecord(_ path: String) throws -> [String: Any] {
        let data = try #require(FileManager.default.contents(atPath: path))
        let object = try JSONSerialization.jsonObject(with: data)
        return try #require(object as? [String: Any])
    }

    @Test func configJSONRecordsTheRunAndItsResume() throws {
        let out = TrainFixture.runDirectory("record")
        let before = Date()
        let trainer = try Trainer(config: config(out: out), communicator: SingleProcessCommunicator())
        try trainer.run { _ in }
        let record = try readRecord(out + "/config.json")
        #expect(Array(record.keys).sorted() == ["config", "host", "resumed_at_step", "resumed_from", "started", "txf_version", "world_size"])
        #expect(record["txf_version"] as? String == TxfVersion.number)
        let host = try String(contentsOfFile: "/proc/sys/kernel/hostname", encoding: .utf8)
        #expect(record["host"] as? String == host.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(record["world_size"] as? Int == 1)
        #expect(record["resumed_from"] is NSNull && record["resumed_at_step"] as? Int == 0)
        let startedText = try #require(record["started"] as? String)
        let started = try #require(ISO8601DateFormatter().date(from: startedText))
        #expect(started.timeIntervalSince(before) > -1 && started.timeIntervalSinceNow < 1)
        // The config object is the resolved config, in the keys --config reads.
        let stored = try JSONSerialization.data(withJSONObject: try #require(record["config"]))
        let decoded = try JSONDecoder().decode(TrainConfig.self, from: stored)
        #expect(decoded.json() == trainer.config.json())
        #expect(decoded.globalBatch == 16 && decoded.maxSteps == 6 && decoded.out == out)
        #expect(!FileManager.default.fileExists(atPath: out + "/config.json.tmp"))

        // A run continued from a step checkpoint rewrites the record, naming it.
        let again = TrainFixture.runDirectory("record-resumed")
        var resumed = config(out: again)
        resumed.resume = RunDirectory(path: out).stepPath(4)
        try Trainer(config: resumed, communicator: SingleProcessCommunicator()).run { _ in }
        let second = try readRecord(again + "/config.json")
        #expect(second["resumed_from"] as? String == RunDirectory(path: out).stepPath(4) && second["resumed_at_step"] as? Int == 4)
    }

    @Test func summaryNamesTheBestEvaluationAndTheFiles() throws {
        let out = TrainFixture.runDirectory("summary")
        let trainer = try Trainer(config: config(out: out), communicator: SingleProcessCommunicator())
        var events: [TrainingEvent] = []
        try trainer.run { events.append($0) }
        let summary = trainer.endSummary(startStep: 0, seconds: 75)
        // The evaluation that best.h5 followed last, found from the events themselves.
        var lastEval: EvalRecord?
        var best: EvalRecord?
        for event in events {
            if case .eval(let r) = event { lastEval = r }
            if case .checkpoint(let r) = event, r.path == RunDirectory(path: out).bestPath { best = lastEval }
        }
        let expected = try #require(best)
        #expect(summary.best?.metric == "accuracy" && summary.best?.value == expected.accuracy && summary.best?.step == expected.step)
        #expect(summary.bestModel == out + "/best.h5" && summary.finalModel == out + "/final.h5")
        #expect(summary.newestCheckpoint == out + "/step-00000004.h5" && summary.config == out + "/config.json")
        #expect(summary.lines[0 ... 2] == ["run summary", "  steps        6/6 (6 in this run)", "  wall time    1m15s"])
        #expect(summary.lines.last == "  config       " + out + "/config.json")
    }

    @Test func summaryLines() {
        let summary = RunSummary(step: 2000, totalSteps: 2000, startStep: 20, seconds: 192,
                                 best: .init(metric: "accuracy", value: 0.875, step: 1500), bestModel: "runs/x/best.h5",
                                 finalModel: "runs/x/final.h5", newestCheckpoint: "runs/x/step-00002000.h5", config: "runs/x/config.json")
        #expect(summary.lines == [
            "run summary",
            "  steps        2000/2000 (1980 in this run, resumed at step 20)",
            "  wall time    3m12s",
            "  best         accuracy 87.50% at step 1500",
            "  best model   runs/x/best.h5",
            "  final model  runs/x/final.h5",
            "  checkpoint   runs/x/step-00002000.h5 (newest)",
            "  config       runs/x/config.json",
        ])
        // Stopped early, without --eval: no best, no final model.
        let stopped = RunSummary(step: 37, totalSteps: 100, startStep: 0, seconds: 9.6, best: nil, bestModel: nil,
                                 finalModel: nil, newestCheckpoint: "runs/y/step-00000037.h5", config: "runs/y/config.json")
        #expect(stopped.lines == ["run summary", "  steps        37/100 (37 in this run)", "  wall time    10s",
                                  "  checkpoint   runs/y/step-00000037.h5 (newest)", "  config       runs/y/config.json"])
    }

    @Test func summaryNamesTheChosenMetric() {
        let f1 = RunSummary(step: 10, totalSteps: 10, startStep: 0, seconds: 1, best: .init(metric: "f1", value: 0.81234, step: 8),
                            bestModel: nil, finalModel: nil, newestCheckpoint: nil, config: nil)
        #expect(f1.lines.contains("  best         f1 0.8123 at step 8"))
        // An old checkpoint's best carries no step.
        let old = RunSummary(step: 10, totalSteps: 10, startStep: 0, seconds: 1, best: .init(metric: "accuracy", value: 0.5, step: nil),
                             bestModel: nil, finalModel: nil, newestCheckpoint: nil, config: nil)
        #expect(old.lines.contains("  best         accuracy 50.00%"))
    }
}
