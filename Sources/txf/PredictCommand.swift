import ArgumentParser
import Foundation
import TxfCore
import TxfData
import TxfEval

extension PredictionOutputFormat: ExpressibleByArgument {}

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Classify texts with a txf checkpoint or model file.",
        discussion: """
        Tokenizes each text with the model's own vocab and casing (stored in the file), \
        truncated to the max length it was trained with, and writes the predicted label and \
        the class probabilities. A LoRA checkpoint is folded into its base model first (the \
        base file must still have the SHA-256 recorded at training).

        --input reads a TSV, CSV or JSONL file's --text-column (format from the extension or \
        --format), any other file as one text per line, and - as standard input (one text per \
        line unless --format says otherwise). Lines holding only spaces are skipped. Texts given \
        as arguments come first.

        --output-format text prints `label<TAB>name p, ...<TAB>text`; jsonl one object per \
        line {"line", "label_index", "label", "probabilities", "logits", "text"}; csv a header \
        line,label_index,label,p_<name>...,text and RFC 4180 records. line is the input file's \
        line (where the record starts), empty (JSON null) for a text given as an argument. A \
        regression model writes its score instead of the label and probabilities (`score<TAB>text`; \
        jsonl "score"; csv line,score,text). With --text-pair-column each record is a sentence \
        pair: text gains `<TAB>pair`, jsonl "text_pair", csv a text_pair column.

        Examples:
          txf predict --model runs/sst2/final.h5 "a gorgeous, witty film" "a dull, lifeless mess"
          txf predict --model runs/sst2/final.h5 --input sst2/dev.tsv --output-format csv --output dev.csv
          cat reviews.txt | txf predict --model runs/sst2/final.h5 --input - --output-format jsonl
        """)

    @Option(help: "A txf checkpoint (txf-train, full or LoRA) or model file (txf import-hf, txf merge).")
    var model: String

    @Option(help: "Texts to classify: a .tsv, .csv or .jsonl file, any other file one text per line, or - for standard input.")
    var input: String?

    @Option(help: "Format of --input: tsv, csv, jsonl, or txt (one text per line) (default: from the extension; txt for -).")
    var format: PredictInputFormat?

    @Option(help: "Column (or JSON field) of --input holding the text.")
    var textColumn = ColumnSelection.defaultText

    @Option(help: "Column (or JSON field) of --input holding a sentence pair's second text (MRPC, QQP, MNLI style).")
    var textPairColumn: String?

    @Option(help: "text, jsonl or csv.")
    var outputFormat: PredictionOutputFormat = .text

    @Option(help: "File to write the predictions to (replaced only when complete) (default: standard output).")
    var output: String?

    @Option(help: "Texts per forward pass.")
    var batchSize = 32

    @OptionGroup var precision: PrecisionOption

    @Argument(help: "Texts to classify.")
    var texts: [String] = []

    func validate() throws {
        if texts.isEmpty && input == nil { throw ValidationError("give texts to classify, or --input FILE") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if input == nil && format != nil { throw ValidationError("--format describes --input; give --input FILE") }
        if input == nil && textPairColumn != nil { throw ValidationError("--text-pair-column names a column of --input; give --input FILE") }
    }

    func run() throws {
        let reader = try input.map { try PredictInput(path: $0, format: .resolve(format, path: $0), textColumn: textColumn,
                                                    pairColumn: textPairColumn) }
        let choice = try precision.resolved()
        FileHandle.standardError.write(Data((choice.startupLine + "\n").utf8))
        let predictor = try Predictor(path: model, batchSize: batchSize, matmul: choice.matmulMode)
        let formatter = PredictionOutput(format: outputFormat, labelNames: predictor.stored.labelNamesOrDefault,
                                         task: predictor.stored.config.task, pairs: textPairColumn != nil)
        var sink = try PredictionSink(path: output)
        defer { sink.abandon() }
        if let header = formatter.header { sink.write(header) }
        // Texts go through the model in chunks, so a long input streams through bounded memory.
        let chunk = batchSize * 16
        var pending: [(line: Int?, text: String, pair: String?)] = texts.map { (nil, $0, nil) }
        var fromInput = 0
        func predictPending() throws {
            let predictions = try predictor.predict(pending.map { (text: $0.text, pair: $0.pair) })
            for (item, prediction) in zip(pending, predictions) {
                sink.write(formatter.line(prediction, inputLine: item.line))
            }
            pending.removeAll(keepingCapacity: true)
        }
        while let reader, let next = try reader.next() {
            pending.append((next.line, next.text, next.pair))
            fromInput += 1
            if pending.count >= chunk { try predictPending() }
        }
        if let input, fromInput == 0 { throw TxfError("--input \(input) holds no text to classify (no non-empty line)") }
        try predictPending()
        try sink.finish()
    }
}

/// Where predictions go: standard output, or `--output FILE` through a temporary file in the
/// same directory that is renamed over FILE only when every prediction is written.
struct PredictionSink {
    private let path: String?
    private let temporary: String?
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var finished = false

    init(path: String?) throws {
        self.path = path
        guard let path else {
            temporary = nil
            handle = .standardOutput
            return
        }
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let temporary = "\(directory)/.\(url.lastPathComponent).tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: nil),
              let handle = FileHandle(forWritingAtPath: temporary) else {
            throw TxfError("--output \(path): cannot create a file in \(directory)")
        }
        self.temporary = temporary
        self.handle = handle
    }

    mutating func write(_ line: String) {
        buffer.append(contentsOf: line.utf8)
        buffer.append(0x0A)
        if buffer.count >= 1 << 16 { flush() }
    }

    private mutating func flush() {
        if buffer.isEmpty { return }
        handle.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes standard output, or closes the file and renames it into place.
    mutating func finish() throws {
        flush()
        finished = true
        guard let path, let temporary else { return }
        try handle.synchronize()
        try handle.close()
        guard rename(temporary, path) == 0 else {
            try? FileManager.default.removeItem(atPath: temporary)
            throw TxfError("--output \(path): cannot move \(temporary) into place: \(String(cString: strerror(errno)))")
        }
    }

    /// After an error: standard output gets what was predicted, a temporary file is removed.
    mutating func abandon() {
        if finished { return }
        guard let temporary else { flush(); return }
        try? handle.close()
        try? FileManager.default.removeItem(atPath: temporary)
    }
}
