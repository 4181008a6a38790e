import Foundation
import TxfCore
import TxfText

/// What `txf prepare` does, as options.
public struct PrepareOptions: Sendable {
    /// Text file to read (TSV, CSV or JSONL).
    public var input: String
    /// vocab.txt of the tokenizer.
    public var vocab: String
    /// Dataset file to write (replaced only when the new one is complete).
    public var output: String
    /// nil: from the input's extension.
    public var format: InputFormat?
    public var columns: ColumnSelection
    /// Tokens per row including [CLS] and [SEP] (and the pair's second [SEP]); longer rows are
    /// truncated, pairs longest side first (`PairEncoding.keptLengths`).
    public var maxLength: Int
    /// Uncased tokenizer (lowercase + strip accents), as for MiniLM / bert-base-uncased.
    public var lowercase: Bool
    public var labels: LabelRule
    /// Skip (and count) bad rows instead of stopping at the first one.
    public var skipBadRows: Bool
    /// Classification (label column = class ids, `labels`) or regression (label column = real
    /// targets, `RegressionTarget`; `labels` unused, no label names stored).
    public var task: ModelTask

    public init(input: String, vocab: String, output: String, format: InputFormat? = nil,
                columns: ColumnSelection = ColumnSelection(), maxLength: Int = 128, lowercase: Bool = true,
                labels: LabelRule = LabelRule(), skipBadRows: Bool = false, task: ModelTask = .classification) {
        self.input = input
        self.vocab = vocab
        self.output = output
        self.format = format
        self.columns = columns
        self.maxLength = maxLength
        self.lowercase = lowercase
        self.labels = labels
        self.skipBadRows = skipBadRows
        self.task = task
    }
}

/// What `prepareDataset` did.
public struct PrepareSummary: Sendable {
    public var info: DatasetInfo
    /// Rows per class id (empty for an unlabelled or regression dataset).
    public var labelCounts: [Int]
    /// A regression dataset's targets (`TargetStatistics`); nil for classification.
    public var targets: TargetStatistics?
    /// Whether the label names are the data's text labels, sorted (no --label-names given).
    public var labelNamesFromData: Bool
    /// The first few skipped rows as "file:line: problem".
    public var skippedExamples: [String]
    public var seconds: Double
}

/// Tokenizes a text file into a dataset file (`DatasetSchema`), streaming.
///
/// Reads the input once (hashing it on the way), tokenizes each row with BERT's tokenizer,
/// and appends rows to `<output>.tmp-<pid>` in the output's directory; only a complete file
/// is renamed to `output`. On any error the temporary file is removed, no output appears,
/// and the error names the file and line ("train.tsv:1234: expected 2 columns, found 3").
public func prepareDataset(_ options: PrepareOptions) throws -> PrepareSummary {
    let clock = ContinuousClock()
    let started = clock.now
    guard options.maxLength >= 2 else {
        throw TxfError("--max-length must be at least 2 (room for [CLS] and [SEP]), got \(options.maxLength)")
    }
    if options.task == .regression && options.columns.label == nil {
        throw TxfError("--task regression needs the label column of real-valued targets (drop --no-labels)")
    }
    let pairs = options.columns.pair != nil
    guard !pairs || options.maxLength >= 3 else {
        throw TxfError("--max-length must be at least 3 for sentence pairs (room for [CLS] and two [SEP]), got \(options.maxLength)")
    }
    guard let format = options.format ?? InputFormat.fromExtension(of: options.input) else {
        throw TxfError("cannot tell the format of \(options.input) from its extension; pass --format tsv, csv or jsonl")
    }
    let vocabulary: Vocabulary
    vocabulary = try Vocabulary(contentsOf: options.vocab)
    guard let vocabData = FileManager.default.contents(atPath: options.vocab) else {
        throw TxfError("cannot read vocab file \(options.vocab)")
    }
    let tokenizer = BertTokenizer(vocabulary: vocabulary, lowercase: options.lowercase)
    let reader = try TextRecordReader(path: options.input, format: format, columns: options.columns)

    let outputURL = URL(fileURLWithPath: options.output)
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: options.output, isDirectory: &isDirectory), isDirectory.boolValue {
        throw TxfError("\(options.output) is a directory; --output takes a file name like data/train.h5")
    }
    let directory = outputURL.deletingLastPathComponent().path
    // The outermost directory this run creates, removed again if the run fails.
    var createdRoot: String?
    var probe = outputURL.deletingLastPathComponent()
    while !FileManager.default.fileExists(atPath: probe.path) && probe.path != "/" {
        createdRoot = probe.path
        probe = probe.deletingLastPathComponent()
    }
    do {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } catch {
        throw TxfError("cannot create directory \(directory) for \(options.output)")
    }
    let temporary = "\(directory)/.\(outputURL.lastPathComponent).tmp-\(getpid())"
    let writer = try TokenDatasetWriter(path: temporary, task: options.task, pairs: pairs)
    var finished = false
    defer {
        if !finished {
            writer.abandon()
            try? FileManager.default.removeItem(atPath: temporary)
            if let createdRoot { try? FileManager.default.removeItem(atPath: createdRoot) }
        }
    }

    var labels = options.labels
    var labelCounts: [Int] = []
    var targets = TargetStatistics()
    var skipped = 0, truncated = 0
    var skippedExamples: [String] = []
    var row: [Int32] = []
    let keep = options.maxLength - 2
    while true {
        let record: TextRecord
        var label: Int32 = -1
        var target: Float?
        do {
            guard let next = try reader.next() else { break }
            record = next
            if let text = record.label {
                if options.task == .regression {
                    target = try RegressionTarget.parse(text, line: record.line)
                } else {
                    label = try labels.classId(of: text, line: record.line)
                }
            }
        } catch let error as RowError {
            guard options.skipBadRows else { throw error.located(in: options.input) }
            skipped += 1
            if skippedExamples.count < 10 { skippedExamples.append(error.located(in: options.input).message) }
            continue
        }
        let pieces = tokenizer.pieceIds(record.text)
        if let second = record.pair {
            let pairPieces = tokenizer.pieceIds(second)
            let pair = tokenizer.encodePair(pieces: pieces, pairPieces, maxLength: options.maxLength)
            if pieces.count + pairPieces.count + 3 > options.maxLength { truncated += 1 }
            try writer.append(pair.ids, label: label, target: target, pairStart: pair.pairStart)
        } else {
            if pieces.count > keep { truncated += 1 }
            row.removeAll(keepingCapacity: true)
            row.append(vocabulary.clsId)
            row.append(contentsOf: pieces.prefix(keep))
            row.append(vocabulary.sepId)
            try writer.append(row, label: label, target: target)
        }
        if let target { targets.add(target) }
        if label >= 0 {
            if Int(label) >= labelCounts.count { labelCounts += Array(repeating: 0, count: Int(label) + 1 - labelCounts.count) }
            labelCounts[Int(label)] += 1
        }
    }
    guard writer.rowCount > 0 else {
        let reason = skipped > 0 ? "all \(skipped) rows were bad (first: \(skippedExamples[0]))" : "it has no data rows"
        throw TxfError("\(options.input): nothing to prepare: \(reason)")
    }
    let labelNames = options.columns.label == nil || options.task == .regression ? [] : labels.labelNames
    if !labelNames.isEmpty && labelCounts.count < labelNames.count {
        labelCounts += Array(repeating: 0, count: labelNames.count - labelCounts.count)
    }
    let relabel = labels.finalIds
    if let relabel {
        var sorted = labelCounts
        for (provisional, final) in relabel.enumerated() { sorted[Int(final)] = labelCounts[provisional] }
        labelCounts = sorted
    }
    let info = DatasetInfo(
        tokenizer: TokenizerInfo(vocabulary: vocabulary, lowercase: options.lowercase, maxLength: options.maxLength),
        labelNames: labelNames, sourcePath: options.input,
        sourceSHA256: try reader.finishHash(), rowCount: writer.rowCount, tokenCount: writer.tokenCount,
        truncatedRows: truncated, skippedRows: skipped, task: options.task)
    try writer.finish(info: info, vocabBytes: [UInt8](vocabData), relabel: relabel)
    // rename(2) replaces an existing output atomically; readers see the old or the new file.
    guard rename(temporary, options.output) == 0 else {
        throw TxfError("cannot move \(temporary) to \(options.output): \(String(cString: strerror(errno)))")
    }
    finished = true
    var final = info
    final.rowCount = writer.rowCount
    final.tokenCount = writer.tokenCount
    let elapsed = clock.now - started
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    return PrepareSummary(info: final, labelCounts: labelCounts, targets: options.task == .regression ? targets : nil,
                          labelNamesFromData: labels.namesFromData,
                          skippedExamples: skippedExamples, seconds: seconds)
}
