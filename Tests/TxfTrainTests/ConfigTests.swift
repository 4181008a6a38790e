import Foundation
import TxfTestSupport
import Testing
import TxfCore
import TxfModel
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
        let path = TestScratch.path("config.json")
        try Data(#"{"global-batch": "many"}"#.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        do { _ = try TrainConfig.load(path: path); Issue.record("accepted a string batch") } catch let e as TxfError {
            #expect(e.message.hasPrefix(path) && e.message.contains("global-batch"))
        }
        #expect(throws: TxfError.self) { try TrainConfig.load(path: path + ".missing") }
    }

    /// The message `TrainConfig.load` gives for a config file holding `json`, with the file's path written as "PATH".
    func loadMessage(_ json: String) throws -> String {
        let path = TestScratch.path("config.json")
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        do { _ = try TrainConfig.load(path: path); return "accepted" } catch let e as TxfError {
            return e.message.replacingOccurrences(of: path, with: "PATH")
        }
    }

    @Test func syntaxErrorsNameLineAndColumn() throws {
        #expect(try loadMessage("{\n  \"lr\": 1e-4,\n  \"global-batch\": 32 \"seed\": 1\n}") == "PATH:3:22: expected ',' or '}', found '\"'")
        #expect(try loadMessage("{\"group-by-length\": tru}") == "PATH:1:24: expected true, found '}'")
        #expect(try loadMessage("{\n \"train\": \"a.h5\",\n") == "PATH:3:1: expected a key in quotes, found end of file")
        #expect(try loadMessage("{\"out\": \"runs/\u{E9}t\u{E9}\" 1}") == "PATH:1:20: expected ',' or '}', found '1'")
        #expect(try loadMessage("{\"lr\": 01}") == "PATH:1:9: number with a leading zero")
        #expect(try loadMessage("{\"out\": \"a\nb\"}") == "PATH:1:11: control character in a string (a line break inside quotes?)")
        #expect(JSONSyntaxScan.firstError(in: Array("{\"a\": [1, -2.5e3, true, null, {\"b\": \"\\u00e9\"}]}".utf8)) == nil)
    }

    @Test func wrongTypesAndUnknownKeysNameTheirLine() throws {
        #expect(try loadMessage("{\n  \"lr\": 1e-4,\n  \"global-batch\": \"many\"\n}")
            .hasPrefix("PATH:3:19: wrong type for \"global-batch\": "))
        #expect(try loadMessage("{\"lr\": 1e-4,\n\"lerning-rate\": 1}").hasPrefix("PATH:2:1: unknown config key \"lerning-rate\" (known keys: "))
        #expect(try loadMessage("{\"epochs\": 2.5}") == "accepted")
    }

    @Test func fractionalEpochsRoundUp() throws {
        var c = TrainConfig()
        #expect(c.totalSteps(stepsPerEpoch: 7) == 7)
        c.epochs = 3
        #expect(c.totalSteps(stepsPerEpoch: 1000) == 3000)
        c.epochs = 0.5
        #expect(c.totalSteps(stepsPerEpoch: 7) == 4)
        c.epochs = 2.5
        #expect(c.totalSteps(stepsPerEpoch: 8) == 20)
        c.epochs = 1.1  // 1.1 × 100 is 110.00000000000001 in doubles
        #expect(c.totalSteps(stepsPerEpoch: 100) == 110)
        c.epochs = 1e300
        #expect(c.totalSteps(stepsPerEpoch: 10) == nil)
        c.maxSteps = 5
        #expect(c.totalSteps(stepsPerEpoch: 10) == 5)
        c.maxSteps = nil
        c.train = "t.h5"; c.out = "o"
        for bad in [0, -1, Double.nan] {
            c.epochs = bad
            #expect(message(c, worldSize: 1)?.hasPrefix("--epochs must be a number above 0, such as 1, 0.5 or 2.5 (got ") == true)
        }
        // Whole epochs are written as before ("epochs":2), so stored configs and their hashes stay.
        c.epochs = 2
        #expect(c.json().contains("\"epochs\":2,"))
        c.epochs = 2.5
        #expect(try decode(c.json()).epochs == 2.5)
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

    /// A config with every optional setting given, so its JSON carries every key.
    func everySettingGiven() -> TrainConfig {
        var c = TrainConfig()
        c.train = "t.h5"; c.eval = "d.h5"; c.out = "runs/a"; c.initFrom = "base.h5"; c.vocab = "vocab.txt"
        c.layers = 3; c.hidden = 48; c.heads = 4; c.ffn = 96; c.maxLength = 66
        c.mode = .lora; c.loraRank = 4; c.loraAlpha = 8; c.loraDropout = 0.05; c.loraTargets = "query,key"; c.trainPooler = true
        c.epochs = 2; c.maxSteps = 100; c.globalBatch = 64; c.microBatch = 8; c.lr = 2e-4
        c.warmupSteps = 10; c.warmupRatio = 0.06; c.schedule = .cosine; c.weightDecay = 0.02; c.maxGradNorm = 0.5
        c.dropout = 0.2; c.seed = 7; c.groupByLength = false; c.lengthGroupBatches = 8; c.pooling = .mean
        c.logEvery = 5; c.evalEvery = 20; c.saveEvery = 50; c.keep = 2; c.resume = "auto"; c.allowScheduleChange = true
        c.stallTimeout = 30; c.objective = .maskedLM
        return c
    }

    @Test func flagsAndConfigKeysAreTheSameSet() throws {
        let c = everySettingGiven()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(c.json().utf8)) as? [String: Any])
        let flagNames = TrainSetting.all.map(\.key)
        #expect(Set(object.keys) == Set(flagNames))
        #expect(Set(flagNames).count == flagNames.count)
        // Each key, given as its flag with the value the JSON holds, sets the same field.
        var flags: [String] = []
        for setting in TrainSetting.all {
            let value = object[setting.key]!
            if setting.isSwitch {
                flags.append((value as! Bool) ? "--\(setting.key)" : "--no-\(setting.key)")
            } else {
                flags += ["--\(setting.key)", "\(value)"]
            }
        }
        var fromFlags = TrainConfig()
        try TrainSetting.apply(flags: flags, to: &fromFlags)
        #expect(fromFlags == c)
        #expect(try decode(c.json()) == c)
    }

    func flagError(_ flags: [String]) -> String? {
        var c = TrainConfig()
        do { try TrainSetting.apply(flags: flags, to: &c); return nil } catch let e as TxfError { return e.message } catch { return "\(error)" }
    }

    @Test func flagsOverrideAndMistakesAreNamed() throws {
        var c = try decode(#"{"lr": 0.1, "group-by-length": true, "hidden": 32}"#)
        try TrainSetting.apply(flags: ["--lr=0.002", "--no-group-by-length", "--hidden", "64", "--schedule", "constant"], to: &c)
        #expect(c.lr == 0.002 && c.groupByLength == false && c.hidden == 64 && c.schedule == .constant)
        #expect(flagError(["--lrr", "1"]) == "Unknown option '--lrr'. Did you mean '--lr'?")
        #expect(flagError(["--frobnicate"]) == "Unknown option '--frobnicate'")
        #expect(flagError(["--lr"]) == "Missing value for '--lr <lr>'")
        #expect(flagError(["--hidden", "abc"]) == "The value 'abc' is invalid for '--hidden <hidden>'")
        #expect(flagError(["--schedule", "step"])
                == "The value 'step' is invalid for '--schedule <schedule>'. Please provide one of 'linear', 'cosine' or 'constant'.")
        #expect(flagError(["stray"]) == "Unexpected argument 'stray'")
    }

    /// The help lists every setting once, with the default the run uses (one declaration: the
    /// max-length default is the architecture's, 512).
    @Test func helpShowsEverySettingAndItsDefault() {
        let help = TrainSetting.help()
        for setting in TrainSetting.all {
            let label = setting.isSwitch ? "--\(setting.key)/--no-\(setting.key)" : "--\(setting.key) <\(setting.key)>"
            #expect(help.components(separatedBy: "  \(label)").count == 2, "\(label)")
        }
        #expect(help.contains("Longest sequence, position embeddings (default \(Architecture.defaultMaxLength))."))
        #expect(help.contains("Peak learning rate (default 5e-5)."))
        #expect(help.contains("(default 42)") && help.contains("(values: linear,"))
        #expect(help.split(separator: "\n").allSatisfy { $0.count < 80 })
    }
}
