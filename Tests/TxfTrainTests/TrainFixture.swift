import Foundation
import TxfTestSupport
import TxfCore
import TxfData
import TxfModel
import TxfStore
@testable import TxfTrain
import TxfDist

/// A tiny, project-written classification task and its prepared datasets, made once per test
/// process: sentences of filler words with one sentiment word; the label is that word's side.
/// Small enough that a 2-layer, hidden-16 model trains 20 steps in about a second.
enum TrainFixture {
    static let positive = ["good", "great", "fine", "lovely", "witty", "warm", "bright", "fun"]
    static let negative = ["bad", "dull", "awful", "flat", "cold", "grim", "weak", "boring"]
    static let filler = ["the", "a", "film", "story", "is", "was", "very", "quite", "and", "plot",
                         "acting", "music", "it", "this", "too", "so"]

    struct Paths {
        let directory: String
        let train: String
        let dev: String
        let vocab: String
        /// A vocab the data was not prepared with (same tokens, another order).
        let otherVocab: String
    }

    /// Created on first use in a fresh temporary directory.
    static let paths: Paths = {
        do { return try make() } catch { fatalError("cannot build the training fixture: \(error)") }
    }()

    static func make() throws -> Paths {
        let directory = try TestScratch.directory("train-fixture")
        let specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
        let words = filler + positive + negative
        let vocab = directory + "/vocab.txt", otherVocab = directory + "/other-vocab.txt"
        try (specials + words).joined(separator: "\n").appending("\n").write(toFile: vocab, atomically: true, encoding: .utf8)
        try (specials + words.reversed()).joined(separator: "\n").appending("\n").write(toFile: otherVocab, atomically: true, encoding: .utf8)
        let train = directory + "/train.h5", dev = directory + "/dev.h5"
        try writeTSV(directory + "/train.tsv", rows: 256, key: RandomKey(seed: 1))
        try writeTSV(directory + "/dev.tsv", rows: 50, key: RandomKey(seed: 2))
        _ = try prepareDataset(PrepareOptions(input: directory + "/train.tsv", vocab: vocab, output: train, maxLength: 16))
        _ = try prepareDataset(PrepareOptions(input: directory + "/dev.tsv", vocab: vocab, output: dev, maxLength: 16))
        return Paths(directory: directory, train: train, dev: dev, vocab: vocab, otherVocab: otherVocab)
    }

    /// `rows` sentences of 2–12 words (so lengths vary and batches pad), half of each label.
    static func writeTSV(_ path: String, rows: Int, key: RandomKey) throws {
        var text = "sentence\tlabel\n"
        for row in 0 ..< rows {
            let k = key.with(UInt64(row))
            let count = 2 + k.below(11, 0)
            var sentence = (0 ..< count).map { filler[k.below(filler.count, UInt64($0 + 1))] }
            let label = row % 2
            let side = label == 1 ? positive : negative
            sentence.insert(side[k.below(side.count, 100)], at: k.below(count + 1, 101))
            text += sentence.joined(separator: " ") + "\t\(label)\n"
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// A fresh empty directory for one run.
    static func runDirectory(_ name: String) -> String {
        let path = paths.directory + "/runs-\(UUID().uuidString.prefix(8))/\(name)"
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                 withIntermediateDirectories: true)
        return path
    }

    /// Flags of the tiny model every training test uses.
    static let modelFlags = ["--layers", "2", "--hidden", "16", "--heads", "2", "--ffn", "32", "--max-length", "16"]

    /// The one-layer run the in-process trainer tests share: the fixture's training and dev
    /// sets, 16 rows a step, a loss line every step.
    static func oneLayerConfig(out: String, steps: Int, lr: Double = 3e-3) -> TrainConfig {
        var c = TrainConfig()
        c.train = paths.train; c.eval = paths.dev; c.out = out
        c.layers = 1; c.hidden = 16; c.heads = 2; c.ffn = 32; c.maxLength = 16
        c.globalBatch = 16; c.maxSteps = steps; c.lr = lr; c.logEvery = 1; c.seed = 11
        return c
    }

    /// Trains `config` in this process alone (`SingleProcessCommunicator`), with its events.
    @discardableResult
    static func trainAlone(_ config: TrainConfig) throws -> (trainer: Trainer, events: [TrainingEvent]) {
        let trainer = try Trainer(config: config, communicator: SingleProcessCommunicator())
        var events: [TrainingEvent] = []
        try trainer.run { events.append($0) }
        return (trainer, events)
    }
}

/// The train events of a run's metrics.jsonl: (step, loss as written).
func trainLosses(_ metricsPath: String) -> [(step: Int, loss: String)] {
    let text = (try? String(contentsOfFile: metricsPath, encoding: .utf8)) ?? ""
    return text.split(separator: "\n").compactMap { line in
        let line = String(line)
        guard line.contains(#""event":"train""#), let step = jsonField(line, "step").flatMap(Int.init),
              let loss = jsonField(line, "loss") else { return nil }
        return (step, loss)
    }
}

/// A checkpoint's parameters, then its AdamW moments m and v, in its own table's layout: what a
/// resumed run must reproduce bit for bit.
func checkpointState(_ path: String) throws -> [Float] {
    let file = try ModelArchive(path: path, expecting: .checkpoint)
    let table = ParameterTable.bertClassifier(file.meta.model)
    let p = FloatBuffer(count: table.totalCount), m = FloatBuffer(count: table.trainableCount), v = FloatBuffer(count: table.trainableCount)
    try file.load(table: table, parameters: p.pointer, m: m.pointer, v: v.pointer)
    return p.toArray() + m.toArray() + v.toArray()
}
