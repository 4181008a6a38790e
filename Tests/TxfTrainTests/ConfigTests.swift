import Foundation
import Testing
import TxfCore
@testable import TxfEval
@testable import TxfStore
@testable import TxfTrain

@Suite struct ConfigTests {
    func decode(_ json: String) throws -> TrainConfig {
        try JSONDecoder().decode(TrainConfig.self, from: Data(json.utf8))
    }

    @Test func keysAreTheFlagNames() throws {
        let c = try decode("""
            {"train": "t.h5", "out": "runs/a", "init": "base.h5", "global-batch": 64, "micro-batch": 8,
             "max-length": 66, "schedule": "cosine", "warmup-ratio": 0.06, "seed": 7, "group-by-length": false}
            """)
        #expect(c.train == "t.h5" && c.initFrom == "base.h5" && c.globalBatch == 64 && c.microBatch == 8)
        #expect(c.maxLength == 66 && c.schedule == .cosine && c.warmupRatio == 0.06 && c.seed == 7)
        #expect(c.groupByLength == false)
        // Absent keys keep the documented defaults.
        #expect(c.lr == 5e-5 && c.epochs == 1 && c.keep == 3 && c.layers == nil)
        // The JSON a run prints and stores reads back to the same config.
        #expect(try decode(c.json()) == c)
    }

    @Test func unknownKeyIsNamed() {
        #expect(throws: TxfError.self) { try decode(#"{"learning-rate": 0.1}"#) }
        do { _ = try decode(#"{"learning-rate": 0.1}"#) } catch let e as TxfError {
            #expect(e.message.contains("\"learning-rate\""))
        } catch { Issue.record("wrong error \(error)") }
    }

    @Test func loadNamesTheFileAndKey() throws {
        let path = NSTemporaryDirectory() + "txf-config-\(getpid()).json"
        try Data(#"{"global-batch": "many"}"#.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        do { _ = try TrainConfig.load(path: path); Issue.record("accepted a string batch") } catch let e as TxfError {
            #expect(e.message.hasPrefix(path) && e.message.contains("global-batch"))
        }
        #expect(throws: TxfError.self) { try TrainConfig.load(path: path + ".missing") }
    }

    func message(_ c: TrainConfig, worldSize: Int) -> String? {
        do { try c.validate(worldSize: worldSize); return nil } catch let e as TxfError { return e.message } catch { return "\(error)" }
    }

    @Test func validateRejectsImpossibleCombinations() {
        var c = TrainConfig()
        c.train = "t.h5"; c.out = "o"
        c.globalBatch = 32; c.microBatch = 8
        #expect(message(c, worldSize: 4) == nil)
        #expect(message(c, worldSize: 3)?.contains("not divisible by ranks × --micro-batch = 3 × 8") == true)
        c.microBatch = nil  // defaults to G / W
        #expect(message(c, worldSize: 4) == nil)
        #expect(c.resolvedMicroBatch(worldSize: 4) == 8)
        c.warmupSteps = 10; c.warmupRatio = 0.1
        #expect(message(c, worldSize: 1)?.contains("not both") == true)
        c.warmupRatio = nil; c.maxSteps = 10
        #expect(message(c, worldSize: 1)?.contains("shorter than training") == true)
        c.warmupSteps = nil; c.hidden = 100; c.heads = 3
        #expect(message(c, worldSize: 1)?.contains("--hidden 100 is not divisible by --heads 3") == true)
        c.hidden = nil; c.heads = nil; c.dropout = 1
        #expect(message(c, worldSize: 1)?.contains("--dropout") == true)
        c.dropout = 0.1; c.train = nil
        #expect(message(c, worldSize: 1)?.contains("--train") == true)
    }
}
