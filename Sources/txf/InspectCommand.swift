import ArgumentParser
import Foundation
import TxfCore
import TxfData
import TxfHDF5
import TxfStore
import TxfText
import TxfTrain

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show what a prepared dataset, model file or checkpoint holds.",
        discussion: """
        The kind is read from the file's txf_kind attribute. A dataset: attributes, lengths, \
        labels, first rows, decoded with the vocab stored inside it (--vocab decodes with \
        another vocab.txt instead; it must have the same SHA-256). A model file or checkpoint: \
        kind (model, checkpoint, weights-only or LoRA checkpoint), architecture, tokenizer, \
        step, precision and schedule, best metric, dataset fingerprint, LoRA config and base, \
        and the tensors and bytes of each stored part.

        Examples: txf inspect data/train.h5 --rows 3
                  txf inspect runs/sst2/best.h5
        """)

    @Argument(help: "A dataset (txf prepare), model file (txf import-hf, txf merge) or checkpoint (txf-train).")
    var file: String

    @Option(help: "Datasets: how many of the first rows to decode.")
    var rows: Int = 5

    @Option(help: "Datasets: decode with this vocab.txt instead of the copy stored in the dataset.")
    var vocab: String?

    func validate() throws {
        if rows < 0 { throw ValidationError("--rows must be 0 or more") }
    }

    /// What `file` is, from its `txf_kind` attribute (looked up by name, never listed).
    enum Kind {
        case dataset, archive
    }

    /// The kind of `path`, or an error saying what it is not (never advice to write over it).
    static func kind(of path: String) throws -> Kind {
        let txfFiles = "txf inspect shows prepared datasets (txf prepare), model files (txf import-hf, txf merge) and checkpoints (txf-train)"
        guard FileManager.default.fileExists(atPath: path) else { throw TxfError("\(path): no such file") }
        let file: H5File
        do { file = try H5File.open(path) } catch {
            throw TxfError("\(ModelArchive.message(error)), so not a txf file; \(txfFiles)")
        }
        defer { try? file.close() }
        let name = DatasetSchema.Attribute.kind
        guard file.hasAttribute(name) else {
            throw TxfError("\(path) is an HDF5 file but not a txf one (no \(name) attribute); \(txfFiles)")
        }
        if file.hasVariableLengthString(name) {
            throw TxfError("\(path) is a file of txf's format 1 (variable-length strings, which this txf does not read); convert it with `python3 launch/txf-convert-format1.py \(path)`")
        }
        let stored = (try? file.stringAttribute(name)) ?? "(unreadable)"
        if stored == DatasetSchema.kind { return .dataset }
        if ModelArchive.Kind(rawValue: stored) != nil { return .archive }
        throw TxfError("\(path) is a txf '\(stored)' file, not a dataset, model file or checkpoint; \(txfFiles)")
    }

    func run() throws {
        switch try Inspect.kind(of: file) {
        case .dataset: try showDataset()
        case .archive: try showArchive()
        }
    }

    /// A model file or checkpoint: `ArchiveReport`, then the trainer's records of a checkpoint.
    func showArchive() throws {
        if vocab != nil { throw ValidationError("--vocab decodes a dataset's rows; \(file) is a model file or checkpoint, which carries its own vocab") }
        let archive = try ModelArchive(path: file)
        let report = try ArchiveReport(archive)
        let training = try archive.trainingReport()
        // The trainer's lines go after "Training:", before the parts.
        var lines = report.lines
        if let at = lines.firstIndex(where: { $0.hasPrefix("Training:") }) { lines.insert(contentsOf: training, at: at + 1) }
        for line in lines { print(line) }
    }

    /// A prepared dataset: attributes, lengths, labels and the first rows decoded.
    func showDataset() throws {
        let dataset = file
        let data = try TokenDataset(path: dataset)
        // A --vocab that does not match fails before anything is printed.
        var given: Vocabulary?
        if let vocab {
            given = try Vocabulary(contentsOf: vocab)
            try data.checkVocab(sha256: given!.sha256, source: vocab)
        }
        let h5 = try H5File.open(dataset)
        print("\(dataset): txf \(DatasetSchema.kind), schema version \(DatasetSchema.version)")
        print("Attributes:")
        let names = DatasetSchema.Attribute.all.filter(h5.hasAttribute)
        let width = names.map(\.count).max() ?? 0
        for name in names {
            let padded = name.padding(toLength: width, withPad: " ", startingAt: 0)
            print("  \(padded)  \(try h5.attribute(name))")
        }
        try h5.close()

        let stats = data.statistics()
        print("Rows: \(data.rowCount)\(data.isPairs ? " sentence pairs" : ""), tokens: \(data.tokenCount), fingerprint \(data.fingerprint.prefix(16))")
        print("Row length (tokens, incl. [CLS]/[SEP]): min \(stats.minLength)  p50 \(stats.p50)  p90 \(stats.p90)  p99 \(stats.p99)  max \(stats.maxLength)  mean \(String(format: "%.1f", stats.meanLength))")
        if let targets = data.targetStatistics() {
            print("Task: regression; \(targets.summary)")
        } else if data.labelNames.isEmpty {
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
            let label = batch.targets.map { String($0[b]) } ?? (id >= 0 ? data.labelNames[Int(id)] : "-")
            let kind = batch.targets == nil ? "label" : "target"
            if let start = data.pairStarts.map({ Int($0[b]) }) {
                // [CLS] a [SEP] | b [SEP]: each segment decoded without its special tokens.
                print("  [\(b)] \(kind) \(label), \(ids.count) tokens, sentence pair (b from token \(start)):")
                print("       a: \(tokenizer.decode(Array(ids[1 ..< start - 1])))")
                print("       b: \(tokenizer.decode(Array(ids[start ..< ids.count - 1])))")
            } else {
                print("  [\(b)] \(kind) \(label), \(ids.count) tokens: \(tokenizer.decode(ids))")
            }
            print("       ids: \(ids.map(String.init).joined(separator: " "))")
        }
    }
}
