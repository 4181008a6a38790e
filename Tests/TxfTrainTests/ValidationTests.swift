import Foundation
import Testing
import TxfCore
import TxfData
import TxfHDF5
import TxfModel
import TxfStore
import TxfTrain

/// Bad values from flags, config files, model files and empty datasets end the real
/// executables with an error that names the value, in seconds: exit 1 or 64, never a signal
/// (a trap is 4 = SIGILL here, 132 under mpirun) and never a run that grows memory until killed.
@Suite(.serialized) struct ValidationTests {
    /// Runs `program` (txf-train, txf) directly on one rank from the fixture's directory and
    /// checks that it failed as a refusal: `status`, quickly, with `message` on stderr.
    @discardableResult
    func expectRefusal(_ program: String, _ arguments: [String], status: Int32 = 1, message: String,
                       sourceLocation: SourceLocation = #_sourceLocation) throws -> Job {
        let job = try Job.run(program, ranks: nil, arguments, directory: TrainFixture.paths.directory, timeout: 60)
        #expect(!job.timedOut, "\(program) \(arguments) ran past 60 s", sourceLocation: sourceLocation)
        #expect(job.status == status, "exit \(job.status), expected \(status): \(job.output)", sourceLocation: sourceLocation)
        #expect(job.stderr.contains(message), "no \"\(message)\" in: \(job.output)", sourceLocation: sourceLocation)
        #expect(job.seconds < 30, "took \(job.seconds) s", sourceLocation: sourceLocation)
        return job
    }

    func trainFlags(out: String) -> [String] {
        ["--train", TrainFixture.paths.train, "--vocab", TrainFixture.paths.vocab, "--out", out,
         "--global-batch", "16", "--max-steps", "2"]
    }

    // MARK: - Flags and config files

    @Test func overflowingSizesAreUsageErrors() throws {
        for (flag, value) in [("--hidden", "4000000000"), ("--ffn", "4611686018427387904"), ("--max-length", "4611686018427387904"),
                              ("--layers", "4611686018427387904"), ("--lora-rank", "4611686018427387904")] {
            try expectRefusal("txf-train", trainFlags(out: TrainFixture.runDirectory("range")) + [flag, value], status: 64,
                              message: "\(flag) \(value) is out of range")
        }
    }

    @Test func aModelLargerThanTheMachineIsRefusedNamingTheFlag() throws {
        let out = TrainFixture.runDirectory("deep")
        let job = try expectRefusal("txf-train", trainFlags(out: out) + ["--layers", "1000000000"],
                                    message: "--layers 1000000000: the model would have 2.0e14 parameters")
        #expect(job.stderr.contains("this machine has"))
        #expect(!FileManager.default.fileExists(atPath: out + "/final.h5"))
        try expectRefusal("txf-train", trainFlags(out: TrainFixture.runDirectory("wide")) + ["--hidden", "100000", "--ffn", "16"],
                          message: "--hidden 100000: the model would have")
    }

    @Test func configFileValuesAreCheckedLikeFlags() throws {
        let path = TrainFixture.paths.directory + "/absurd-\(UUID().uuidString.prefix(8)).json"
        try #"{"layers": 1000000000, "max-length": 16}"#.write(toFile: path, atomically: true, encoding: .utf8)
        try expectRefusal("txf-train", ["--config", path] + trainFlags(out: TrainFixture.runDirectory("config")),
                          message: "--layers 1000000000: the model would have")
        try #"{"ffn": 4611686018427387904}"#.write(toFile: path, atomically: true, encoding: .utf8)
        try expectRefusal("txf-train", ["--config", path] + trainFlags(out: TrainFixture.runDirectory("config")), status: 64,
                          message: "--ffn 4611686018427387904 is out of range")
    }

    // MARK: - Model files

    /// A copy of the LoRA fixture's base model whose stored architecture has `field` = `value`.
    func tamperedModel(_ field: String, _ value: Int) throws -> String {
        let path = TrainFixture.paths.directory + "/tampered-\(UUID().uuidString.prefix(8)).h5"
        try FileManager.default.copyItem(atPath: LoRAFixture.base, toPath: path)
        var object = try JSONSerialization.jsonObject(with: Data(ModelArchive(path: path).meta.model.jsonData())) as! [String: Any]
        object[field] = value
        let file = try H5File.open(path, writable: true)
        try file.setAttribute(ArchiveSchema.Attribute.modelConfig,
                              String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self))
        try file.closeAndSync()
        return path
    }

    @Test func absurdStoredArchitecturesAreRefusedOnRead() throws {
        // Out of range: refused when the metadata is read, by every reader.
        let huge = try tamperedModel("hidden_size", 1 << 62)
        for arguments in [["predict", "--model", huge, "a good film"], ["evaluate", "--model", huge, "--data", TrainFixture.paths.dev],
                          ["gradients", "--model", huge, "--data", TrainFixture.paths.dev, "--out", huge + ".grad.h5"]] {
            try expectRefusal("txf", arguments, message: "hidden_size 4611686018427387904 is out of range")
        }
        try expectRefusal("txf-train", trainFlags(out: TrainFixture.runDirectory("init")) + ["--init", huge],
                          message: "hidden_size 4611686018427387904 is out of range")
        // In range but beyond this machine (3.5 TiB of parameters): refused before the tensors are.
        let deep = try tamperedModel("num_hidden_layers", 400_000_000)
        try expectRefusal("txf", ["predict", "--model", deep, "a good film"],
                          message: "num_hidden_layers of \(deep) 400000000: the model would have")
        try expectRefusal("txf", ["evaluate", "--model", deep, "--data", TrainFixture.paths.dev],
                          message: "num_hidden_layers of \(deep) 400000000: the model would have")
        try expectRefusal("txf-train", trainFlags(out: TrainFixture.runDirectory("init")) + ["--init", deep],
                          message: "num_hidden_layers of \(deep) 400000000: the model would have")
    }

    // MARK: - Empty sets

    /// A prepared dataset of the fixture's vocab and labels with no rows.
    static let emptyDataset: String = {
        let path = TrainFixture.paths.directory + "/empty.h5"
        do {
            let info = try TokenDataset(path: TrainFixture.paths.train).info
            let writer = try TokenDatasetWriter(path: path)
            try writer.finish(info: info, vocabBytes: [UInt8](FileManager.default.contents(atPath: TrainFixture.paths.vocab)!))
        } catch { fatalError("cannot write the empty dataset: \(error)") }
        return path
    }()

    @Test func anEmptyEvaluationSetIsAnError() throws {
        let out = TrainFixture.runDirectory("empty-eval")
        try expectRefusal("txf-train", trainFlags(out: out) + TrainFixture.modelFlags + ["--eval", Self.emptyDataset],
                          message: "--eval \(Self.emptyDataset) has no rows")
        #expect(!FileManager.default.fileExists(atPath: out + "/best.h5"))
        try expectRefusal("txf", ["evaluate", "--model", LoRAFixture.base, "--data", Self.emptyDataset],
                          message: "--data \(Self.emptyDataset) has no rows")
    }

    /// The refusal is collective: every rank ends, with the message once and exit 1.
    @Test(.enabled(if: Job.mpirunAvailable, "mpirun not on PATH"))
    func anEmptySetEndsEveryRank() throws {
        let job = try Job.train(ranks: 2, trainFlags(out: TrainFixture.runDirectory("empty-eval-2")) + TrainFixture.modelFlags
                                    + ["--eval", Self.emptyDataset], timeout: 60)
        #expect(!job.timedOut && job.status == 1, "exit \(job.status): \(job.output)")
        #expect(job.stderrCount("--eval \(Self.emptyDataset) has no rows") == 1, "\(job.output)")
    }

    @Test func anEmptyTrainingSetIsAnError() throws {
        var flags = trainFlags(out: TrainFixture.runDirectory("empty-train")) + TrainFixture.modelFlags
        flags[1] = Self.emptyDataset
        try expectRefusal("txf-train", flags, message: "--train \(Self.emptyDataset) has no rows")
    }

    @Test func nothingToPredictIsAnError() throws {
        let input = TrainFixture.paths.directory + "/blank-\(UUID().uuidString.prefix(8)).txt"
        try "\n  \n".write(toFile: input, atomically: true, encoding: .utf8)
        try expectRefusal("txf", ["predict", "--model", LoRAFixture.base, "--input", input],
                          message: "--input \(input) holds no text to classify")
    }

    /// Fewer rows than one global batch stays an error (not a warning): an epoch would have no step.
    @Test func fewerRowsThanAGlobalBatchIsAnError() throws {
        var flags = trainFlags(out: TrainFixture.runDirectory("small")) + TrainFixture.modelFlags
        flags[flags.firstIndex(of: "16")!] = "512"
        try expectRefusal("txf-train", flags, message: "fewer than one global batch of 512")
    }
}
