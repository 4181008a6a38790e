import Foundation
import Testing
import TxfCore
import TxfData
import TxfDist
import TxfModel
import TxfText
@testable import TxfEval
@testable import TxfStore
@testable import TxfTrain

/// A sentence-pair task on the fixture's words, made once per test process: each side is 2–12
/// filler words and one sentiment word; the label says whether the two sides agree. Prepared at
/// max length 16, so many rows are cut longest side first.
enum PairFixture {
    struct Paths {
        let train: String
        let dev: String
        /// dev as text, for `Predictor` and `txf evaluate`.
        let devTSV: String
    }

    static let paths: Paths = {
        do { return try make() } catch { fatalError("cannot build the pair fixture: \(error)") }
    }()

    static func make() throws -> Paths {
        let directory = TrainFixture.paths.directory
        let train = directory + "/pairs-train.h5", dev = directory + "/pairs-dev.h5"
        try writeTSV(directory + "/pairs-train.tsv", rows: 256, key: RandomKey(seed: 21))
        try writeTSV(directory + "/pairs-dev.tsv", rows: 48, key: RandomKey(seed: 22))
        for (input, output) in [("/pairs-train.tsv", train), ("/pairs-dev.tsv", dev)] {
            _ = try prepareDataset(PrepareOptions(input: directory + input, vocab: TrainFixture.paths.vocab, output: output,
                                                  columns: ColumnSelection(text: "sentence1", label: "label", pair: "sentence2"),
                                                  maxLength: 16))
        }
        return Paths(train: train, dev: dev, devTSV: directory + "/pairs-dev.tsv")
    }

    static func writeTSV(_ path: String, rows: Int, key: RandomKey) throws {
        func side(_ k: RandomKey, positive: Bool) -> String {
            let count = 2 + k.below(11, 0)
            var words = (0 ..< count).map { TrainFixture.filler[k.below(TrainFixture.filler.count, UInt64($0 + 1))] }
            let list = positive ? TrainFixture.positive : TrainFixture.negative
            words.insert(list[k.below(list.count, 100)], at: k.below(count + 1, 101))
            return words.joined(separator: " ")
        }
        var text = "sentence1\tsentence2\tlabel\n"
        for row in 0 ..< rows {
            let k = key.with(UInt64(row)), label = row % 2, first = k.below(2, 200) == 1
            text += "\(side(k.with(1), positive: first))\t\(side(k.with(2), positive: label == 1 ? first : !first))\t\(label)\n"
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// A one-block run on the pairs (train and dev).
    static func config(out: String, steps: Int = 6) -> TrainConfig {
        var c = TrainFixture.oneLayerConfig(out: out, steps: steps)
        c.train = paths.train; c.eval = paths.dev
        return c
    }
}

@Suite struct PairTrainingTests {
    /// Batches carry token types, so the second row of the token-type table learns (it gets no
    /// gradient from single sentences); a resumed run reproduces the straight one bit for bit.
    @Test func fullTrainingLearnsTheSecondSegmentsTypeAndResumesExactly() throws {
        let train = try TokenDataset(path: PairFixture.paths.train)
        #expect(train.isPairs && train.info.truncatedRows > 0)
        var c = PairFixture.config(out: TrainFixture.runDirectory("pairs-straight"))
        c.saveEvery = 3
        let trainer = try Trainer(config: c, communicator: SingleProcessCommunicator())
        let name = "embeddings.token_type_embeddings.weight", d = 16
        let before = Array(trainer.model.parameter(name))
        try trainer.run { _ in }
        let after = Array(trainer.model.parameter(name))
        #expect(after[d ..< 2 * d] != before[d ..< 2 * d], "type 1 embedding trained")

        var r = c
        r.out = TrainFixture.runDirectory("pairs-resumed")
        try FileManager.default.createDirectory(atPath: r.out!, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: c.out! + "/step-00000003.h5", toPath: r.out! + "/step-00000003.h5")
        r.resume = "auto"
        let (resumed, _) = try TrainFixture.trainAlone(r)
        #expect(resumed.model.parameters.toArray() == trainer.model.parameters.toArray())
    }

    /// LoRA over a model trained on pairs trains on pairs too.
    @Test func loraTrainsOnPairs() throws {
        let base = PairFixture.config(out: TrainFixture.runDirectory("pairs-base"), steps: 3)
        try TrainFixture.trainAlone(base)
        var c = LoRAFixture.config(out: TrainFixture.runDirectory("pairs-lora"), base: base.out! + "/final.h5", steps: 3)
        c.train = PairFixture.paths.train; c.eval = PairFixture.paths.dev
        let (_, events) = try TrainFixture.trainAlone(c)
        #expect(events.contains { if case .eval = $0 { true } else { false } })
        #expect(FileManager.default.fileExists(atPath: c.out! + "/final.h5"))
    }

    /// A pair training set with a single-sentence eval set (and the reverse) is refused by name.
    @Test func mixingPairsAndSingleSentencesIsRefused() throws {
        for (train, eval) in [(PairFixture.paths.train, TrainFixture.paths.dev), (TrainFixture.paths.train, PairFixture.paths.dev)] {
            var c = PairFixture.config(out: TrainFixture.runDirectory("pairs-mixed"))
            c.train = train; c.eval = eval
            do {
                _ = try Trainer(config: c, communicator: SingleProcessCommunicator())
                Issue.record("expected a refusal")
            } catch {
                let message = "\(error)"
                #expect(message.contains("--eval \(eval) holds") && message.contains("--text-pair-column"), "\(message)")
            }
        }
    }

    /// `Predictor` on (text, pair) gives the dataset's ids, token types and the evaluation's
    /// logits; `EvaluationData` tokenizes a pair TSV with the model's vocab.
    @Test func predictorAndEvaluateReadPairs() throws {
        let c = PairFixture.config(out: TrainFixture.runDirectory("pairs-predict"), steps: 3)
        try TrainFixture.trainAlone(c)
        let stored = try StoredModel(path: c.out! + "/final.h5")
        let lines = try String(contentsOfFile: PairFixture.paths.devTSV, encoding: .utf8).split(separator: "\n").dropFirst()
        let inputs = lines.prefix(8).map { line -> (text: String, pair: String?) in
            let fields = line.split(separator: "\t").map(String.init)
            return (fields[0], fields[1])
        }
        let predictions = try Predictor(stored: stored, batchSize: 3).predict(inputs)
        let dev = try TokenDataset(path: PairFixture.paths.dev)
        let batch = try dev.readRows(Array(0 ..< 8))
        let model = try Predictor(stored: stored, batchSize: 8).model(seqLen: batch.seqLen)
        model.forward(batch, mode: .eval)
        for (b, prediction) in predictions.enumerated() {
            #expect(prediction.tokenIds == Array(batch.tokens(ofSample: b)))
            #expect(prediction.pairStart == Int(dev.pairStarts![b]) && prediction.pair == inputs[b].pair)
            #expect(prediction.tokenTypeIds == Array(batch.tokenTypes![b * batch.seqLen ..< b * batch.seqLen + batch.lengths[b]]))
            assertClose(prediction.logits, Array(model.logits[2 * b ..< 2 * b + 2]), relativeTolerance: 0, absoluteTolerance: 1e-5, "row \(b)")
        }
        // A single sentence beside pairs is all type 0.
        let mixed = try Predictor(stored: stored).predict([(inputs[0].text, nil), inputs[1]])
        #expect(mixed[0].pairStart == nil && mixed[0].tokenTypeIds.allSatisfy { $0 == 0 })
        #expect(mixed[0].tokenIds == (try Predictor(stored: stored).predict([inputs[0].text]))[0].tokenIds)

        let (data, cleanup) = try EvaluationData.open(PairFixture.paths.devTSV, for: stored,
                                                      columns: ColumnSelection(text: "sentence1", label: "label", pair: "sentence2"))
        defer { cleanup() }
        #expect(data.isPairs && data.pairStarts == dev.pairStarts && data.offsets == dev.offsets)
    }

    /// `txf export-hf` of a pair model: transformers' AutoTokenizer on the export encodes the
    /// pairs as txf does, and the float64 NumPy BERT on those ids and token types gives txf's
    /// predict logits (tolerance as in HFReferenceTests: 1e-4 absolute).
    @Test(.enabled(if: HFPython.numpyAvailable && Python.has("transformers"), "needs python3 with numpy, safetensors and transformers"))
    func exportedPairModelMatchesTheNumPyBertOnTheTokenizersOwnEncoding() throws {
        let c = PairFixture.config(out: TrainFixture.runDirectory("pairs-export"), steps: 4)
        try TrainFixture.trainAlone(c)
        let directory = HFFixture.temporary("pairs-export")
        _ = try HFExport.run(modelPath: c.out! + "/final.h5", outputDirectory: directory)
        let stored = try StoredModel(path: c.out! + "/final.h5")
        let inputs: [(text: String, pair: String?)] = [
            ("the film is good", "it was quite dull"), ("a", "boring"),
            ("the story was very very good and the acting too", "so warm and bright and fun it is this film"),
            ("good", "the plot and the music and the acting were so so very grim and weak and flat"),
        ]
        let out = try HFPython.reference("numpy-pairs", directory, input: inputs.map { [$0.text, $0.pair!] })
        let predictions = try Predictor(stored: stored).predict(inputs)
        #expect(out["input_ids"] as? [[Int]] == predictions.map { $0.tokenIds.map(Int.init) })
        #expect(out["token_type_ids"] as? [[Int]] == predictions.map { $0.tokenTypeIds.map(Int.init) })
        #expect(predictions.contains { $0.tokenIds.count == 16 }, "a pair is cut to the model's max length")
        let reference = HFPython.doubles(out["logits"])
        #expect(reference.count == inputs.count)
        for (r, (a, e)) in zip(predictions.map(\.logits), reference).enumerated() {
            assertClose(a, e, relativeTolerance: 0, absoluteTolerance: 1e-4, "row \(r) logits")
        }
    }
}
