import Foundation
import Testing
import TxfCore
import TxfData
import TxfDist
@testable import TxfEval
import TxfStore
@testable import TxfTrain

/// Text labels end to end: prepare collects `negative`/`positive` as names, training stores
/// them in the model, and `txf evaluate --data dev.tsv` maps a text file's labels through them.
@Suite struct TextLabelTrainingTests {
    /// The fixture's TSV at `name` with 0/1 labels written as negative/positive.
    func textLabelled(_ name: String, into directory: String) throws -> String {
        let source = try String(contentsOfFile: TrainFixture.paths.directory + "/" + name, encoding: .utf8)
        let rewritten = source.split(separator: "\n").enumerated().map { index, line -> String in
            guard index > 0 else { return String(line) }
            let parts = line.split(separator: "\t")
            return "\(parts[0])\t\(parts[1] == "1" ? "positive" : "negative")"
        }.joined(separator: "\n") + "\n"
        let path = directory + "/" + name
        try rewritten.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func namesFromTheDataReachTheModelAndEvaluation() throws {
        let out = TrainFixture.runDirectory("text-labels")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let train = try textLabelled("train.tsv", into: out), dev = try textLabelled("dev.tsv", into: out)
        let summary = try prepareDataset(PrepareOptions(input: train, vocab: TrainFixture.paths.vocab, output: out + "/train.h5", maxLength: 16))
        #expect(summary.labelNamesFromData && summary.info.labelNames == ["negative", "positive"])
        let integers = try TokenDataset(path: TrainFixture.paths.train)
        #expect(try TokenDataset(path: out + "/train.h5").labels == integers.labels)
        var c = TrainFixture.oneLayerConfig(out: out + "/run", steps: 2)
        c.train = out + "/train.h5"; c.eval = nil
        try TrainFixture.trainAlone(c)
        let model = try StoredModel(path: out + "/run/final.h5")
        #expect(model.labelNames == ["negative", "positive"])
        let (dataset, cleanup) = try EvaluationData.open(dev, for: model)
        defer { cleanup() }
        #expect(dataset.labels == (try TokenDataset(path: TrainFixture.paths.dev)).labels)
        #expect(dataset.labelNames == ["negative", "positive"])
    }
}
