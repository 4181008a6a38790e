import ArgumentParser
import Foundation
import TxfCore
import TxfData
import TxfHDF5
import TxfText

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show what a prepared dataset holds: attributes, lengths, labels, first rows.",
        discussion: """
        Decodes rows with the vocab stored inside the dataset, so nothing else is needed; \
        --vocab decodes with another vocab.txt instead (it must have the same SHA-256).

        Example: txf inspect data/train.h5 --rows 3
        """)

    @Argument(help: "A dataset written by `txf prepare`.")
    var dataset: String

    @Option(help: "How many of the first rows to decode.")
    var rows: Int = 5

    @Option(help: "Decode with this vocab.txt instead of the copy stored in the dataset.")
    var vocab: String?

    func validate() throws {
        if rows < 0 { throw ValidationError("--rows must be 0 or more") }
    }

    func run() throws {
        let data = try TokenDataset(path: dataset)
        // A --vocab that does not match fails before anything is printed.
        var given: Vocabulary?
        if let vocab {
            given = try Vocabulary(contentsOf: vocab)
            try data.checkVocab(sha256: given!.sha256, source: vocab)
        }
        let file = try H5File.open(dataset)
        print("\(dataset): txf \(DatasetSchema.kind), schema version \(DatasetSchema.version)")
        print("Attributes:")
        let names = DatasetSchema.Attribute.all.filter(file.hasAttribute)
        let width = names.map(\.count).max() ?? 0
        for name in names {
            let padded = name.padding(toLength: width, withPad: " ", startingAt: 0)
            print("  \(padded)  \(try file.attribute(name))")
        }
        try file.close()

        let stats = data.statistics()
        print("Rows: \(data.rowCount), tokens: \(data.tokenCount), fingerprint \(data.fingerprint.prefix(16))")
        print("Row length (tokens, incl. [CLS]/[SEP]): min \(stats.minLength)  p50 \(stats.p50)  p90 \(stats.p90)  p99 \(stats.p99)  max \(stats.maxLength)  mean \(String(format: "%.1f", stats.meanLength))")
        if data.labelNames.isEmpty {
            print("Labels: none (unlabelled dataset)")
        } else {
            print("Labels:")
            for (id, name) in data.labelNames.enumerated() {
                let count = stats.labelCounts[id]
                let share = 100 * Double(count) / Double(max(data.rowCount, 1))
                let title = name == String(id) ? "\(id)" : "\(id) \(name)"
                print("  \(title): \(count) (\(String(format: "%.1f", share))%)")
            }
        }

        let shown = min(rows, data.rowCount)
        guard shown > 0 else { return }
        let vocabulary = try given ?? data.vocabulary()
        let tokenizer = BertTokenizer(vocabulary: vocabulary, lowercase: data.info.tokenizer.lowercase)
        print("First \(shown) row\(shown == 1 ? "" : "s"):")
        let batch = try data.readRows(Array(0..<shown))
        for b in 0..<shown {
            let ids = Array(batch.tokens(ofSample: b))
            let id = batch.labels?[b] ?? -1
            let label = id >= 0 ? data.labelNames[Int(id)] : "-"
            print("  [\(b)] label \(label), \(ids.count) tokens: \(tokenizer.decode(ids))")
            print("       ids: \(ids.map(String.init).joined(separator: " "))")
        }
    }
}
