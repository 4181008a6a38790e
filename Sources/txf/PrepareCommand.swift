import ArgumentParser
import Foundation
import TxfCore
import TxfData

extension InputFormat: ExpressibleByArgument {}

struct Prepare: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prepare",
        abstract: "Tokenize a TSV, CSV or JSONL file into an HDF5 dataset for txf-train.",
        discussion: """
        Reads the text file once, streaming, and writes /tokens (every row's ids, [CLS] ... [SEP], \
        back to back), /offsets, /labels and the vocab itself into OUTPUT, with attributes naming \
        the tokenizer, the vocab's and the input's SHA-256, and the label names. The output appears \
        only when complete; on an error no file is left and the message names file:line.

        Sentence pairs (MRPC, QQP, MNLI style): --text-pair-column NAME names the second text; \
        each row becomes [CLS] a [SEP] b [SEP] with token types 0 then 1 (/pair_starts), cut to \
        --max-length longest side first, as Hugging Face's tokenizers do.

        Formats: tsv (GLUE style: header row, tabs, no quoting), csv (RFC 4180, header row), \
        jsonl (one JSON object per line). The default comes from the input's extension.

        Labels (trimmed of spaces) become class ids. With --label-names a,b,c there are 3 classes \
        in that order: a label equal to a name is that name's index, otherwise an integer 0..2 is \
        that id; the name wins when names are numbers, so 1-5 star ratings with --label-names \
        1,2,3,4,5 are ids 0..4. With --num-labels K, labels are integers 0..<K. Otherwise integer \
        labels give (largest label + 1) classes named "0", "1", ..., and text labels (positive, \
        entailment) are collected and stored sorted by their bytes, so files with the same label \
        set get the same ids; a mix of both is an error. --no-labels stores -1 for every row. \
        --task regression reads the label column as a real number instead (STS-B style scores; \
        "nan", "inf" or text is a bad row) and stores it in /targets.

        Example: txf prepare --input sst2/train.tsv --vocab minilm/vocab.txt --output data/train.h5
        """)

    @Option(help: "Text file to tokenize (.tsv, .csv or .jsonl).")
    var input: String

    @Option(help: "The tokenizer's vocab.txt (one token per line).")
    var vocab: String

    @Option(help: "Dataset file to write, e.g. data/train.h5.")
    var output: String

    @Option(help: "Tokens per row including [CLS] and [SEP]; longer rows are truncated.")
    var maxLength: Int = 128

    @Option(help: "Input format: tsv, csv or jsonl (default: from the input's extension).")
    var format: InputFormat?

    @Option(help: "Column (or JSON field) holding the text.")
    var textColumn = ColumnSelection.defaultText

    @Option(help: "Column (or JSON field) holding the second text of a sentence pair (default: single sentences).")
    var textPairColumn: String?

    @Option(help: "Column (or JSON field) holding the label.")
    var labelColumn = ColumnSelection.defaultLabel

    @Flag(help: "The input has no labels; every row gets label -1.")
    var noLabels = false

    @Option(help: "Comma-separated class names in id order, e.g. negative,positive; a label equal to a name is its index, else an integer label is the id.")
    var labelNames: String?

    @Option(help: "Number of classes K (labels must be 0..<K); names are \"0\"...\"K-1\".")
    var numLabels: Int?

    @Option(help: "classification (the label column holds class ids) or regression (it holds real numbers, stored in /targets).")
    var task: ModelTask = .classification

    @Flag(help: "Skip bad rows (wrong column count, invalid UTF-8, bad label), count them and go on.")
    var skipBadRows = false

    @Flag(help: "Casing of the tokenizer.")
    var casing: Casing = .uncased

    func validate() throws {
        if maxLength < 2 { throw ValidationError("--max-length must be at least 2 (room for [CLS] and [SEP])") }
        if labelNames != nil && numLabels != nil { throw ValidationError("give --label-names or --num-labels, not both") }
        if let numLabels, numLabels < 1 { throw ValidationError("--num-labels must be at least 1") }
        if task == .regression && (labelNames != nil || numLabels != nil || noLabels) {
            throw ValidationError("--task regression reads real-valued targets; it takes no --label-names, --num-labels or --no-labels")
        }
        if let names = parsedLabelNames {
            if let empty = names.firstIndex(of: "") { throw ValidationError("--label-names: name \(empty + 1) is empty") }
            if let twice = names.first(where: { name in names.filter { $0 == name }.count > 1 }) {
                throw ValidationError("--label-names names '\(twice)' twice")
            }
        }
        if noLabels && (labelNames != nil || numLabels != nil) {
            throw ValidationError("--no-labels cannot be combined with --label-names or --num-labels")
        }
    }

    /// `--label-names` split at commas and trimmed.
    var parsedLabelNames: [String]? {
        labelNames.map { $0.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) } }
    }

    func run() throws {
        let names = parsedLabelNames
        let options = PrepareOptions(
            input: input, vocab: vocab, output: output, format: format,
            columns: ColumnSelection(text: textColumn, label: noLabels ? nil : labelColumn, pair: textPairColumn),
            maxLength: maxLength, lowercase: casing.lowercase,
            labels: LabelRule(names: names, classCount: numLabels), skipBadRows: skipBadRows, task: task)
        let summary = try prepareDataset(options)
        let info = summary.info
        if info.skippedRows > 0 {
            var message = "Skipped \(info.skippedRows) bad row\(info.skippedRows == 1 ? "" : "s"):\n"
            for example in summary.skippedExamples { message += "  \(example)\n" }
            if info.skippedRows > summary.skippedExamples.count { message += "  ...\n" }
            FileHandle.standardError.write(Data(message.utf8))
        }
        print("Wrote \(output): \(info.rowCount) \(textPairColumn == nil ? "rows" : "sentence pairs"), \(info.tokenCount) tokens (mean \(String(format: "%.1f", Double(info.tokenCount) / Double(info.rowCount))) per row)")
        print("  truncated to \(info.tokenizer.maxLength) tokens: \(info.truncatedRows) rows; skipped: \(info.skippedRows) rows")
        if let targets = summary.targets { print("  \(targets.summary)") }
        if !info.labelNames.isEmpty {
            let balance = zip(info.labelNames, summary.labelCounts).map { "\($0)=\($1)" }.joined(separator: " ")
            print("  labels: \(balance)\(summary.labelNamesFromData ? " (text labels found in the data, ids in sorted order; --label-names sets another)" : "")")
        }
        print("  \(info.tokenizer.lowercase ? "uncased" : "cased"), vocab \(info.tokenizer.vocabSize) tokens (sha256 \(info.tokenizer.vocabSHA256.prefix(12))…), \(String(format: "%.2f", summary.seconds)) s")
    }
}
