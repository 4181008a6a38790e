import Foundation
import TxfCore
import TxfData
@testable import TxfTrain

/// The training fixture's sentences as a regression task: each row's score is 4 for a positive
/// word and 1 for a negative one, plus a deterministic jitter in ±0.4, so the targets are real
/// numbers with ties and a model that learns the sentiment word correlates with them. Prepared
/// with `--task regression` and the fixture's vocab (so models of either task can meet it).
enum RegressionFixture {
    struct Paths {
        let train: String
        let dev: String
        /// The same rows as text, `sentence<TAB>score`.
        let devText: String
    }

    static let paths: Paths = {
        do { return try make() } catch { fatalError("cannot build the regression fixture: \(error)") }
    }()

    static func make() throws -> Paths {
        let base = TrainFixture.paths
        let train = base.directory + "/scores-train.h5", dev = base.directory + "/scores-dev.h5"
        let devText = base.directory + "/scores-dev.tsv"
        for (source, tsv, output) in [("train.tsv", "scores-train.tsv", train), ("dev.tsv", "scores-dev.tsv", dev)] {
            let lines = try String(contentsOfFile: base.directory + "/" + source, encoding: .utf8).split(separator: "\n")
            var text = "sentence\tscore\n"
            for (row, line) in lines.dropFirst().enumerated() {
                let fields = line.split(separator: "\t")
                let jitter = Double(RandomKey(seed: 3).below(9, UInt64(row)) - 4) / 10
                text += "\(fields[0])\t\(fields[1] == "1" ? 4 + jitter : 1 + jitter)\n"
            }
            try text.write(toFile: base.directory + "/" + tsv, atomically: true, encoding: .utf8)
            _ = try prepareDataset(PrepareOptions(input: base.directory + "/" + tsv, vocab: base.vocab, output: output,
                                                  columns: ColumnSelection(text: "sentence", label: "score"),
                                                  maxLength: 16, task: .regression))
        }
        return Paths(train: train, dev: dev, devText: devText)
    }

    /// The one-layer in-process run on the regression fixture (`TrainFixture.oneLayerConfig`),
    /// at a rate for it: Adam moves each weight by about lr a step and the targets lie 1–4 away
    /// from a fresh head's 0, so 3e-3 spends the run reaching their mean; without dropout,
    /// whose noise on this 16-wide model hides the one informative word, 60 steps reach a
    /// Pearson of about 0.85 (with dropout 0.1 it stays below 0.45).
    static func config(out: String, steps: Int) -> TrainConfig {
        var c = TrainFixture.oneLayerConfig(out: out, steps: steps, lr: 1e-2)
        c.train = paths.train
        c.eval = paths.dev
        c.dropout = 0
        return c
    }
}
