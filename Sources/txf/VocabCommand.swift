import ArgumentParser
import Foundation
import TxfCore
import TxfData
import TxfText

struct Vocab: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vocab",
        abstract: "Build a WordPiece vocab.txt from training text (for models trained from scratch).",
        discussion: """
            Reads the text column of a TSV (or .csv / .jsonl) file with a header, splits it into \
            words exactly as `txf tokenize` does (lowercase and strip accents unless \
            --cased, split punctuation, CJK ideographs alone), and writes --size tokens, \
            one per line:

              ids 0-4   [PAD] [UNK] [CLS] [SEP] [MASK]
              then      every character seen at a word's start, then every character seen \
            inside a word as ##c, each by descending count (so every training word can be \
            tokenized without [UNK])
              then      word pieces from repeatedly merging the most frequent adjacent pair \
            (WordPiece training as in Hugging Face tokenizers), until --size is reached

            Ties break by character order, so the same input always gives the same file. If \
            the text runs out of pairs first, the vocab is smaller than --size (a note says so).

            Example:
              txf vocab --input sst2/train.tsv --size 8000 --output runs/scratch/vocab.txt
            """)

    @Option(help: "Training text: a .tsv (default), .csv or .jsonl file with a header.")
    var input: String

    @Option(help: "Number of tokens to produce, the 5 special tokens included.")
    var size: Int

    @Option(help: "Where to write vocab.txt.")
    var output: String

    @Option(help: "Column (or JSON field) holding the text.")
    var textColumn = ColumnSelection.defaultText

    @Flag(help: "Casing of the vocab's text.")
    var casing: Casing = .uncased

    func validate() throws {
        if size < 6 { throw ValidationError("--size must leave room for the 5 special tokens and some text, got \(size)") }
    }

    func run() throws {
        let format = InputFormat.fromExtension(of: input) ?? .tsv
        let reader = try TextRecordReader(path: input, format: format,
                                          columns: ColumnSelection(text: textColumn, label: nil))
        var builder = VocabBuilder(size: size, lowercase: casing.lowercase)
        var rows = 0
        while true {
            let record: TextRecord?
            do { record = try reader.next() } catch let error as RowError { throw error.located(in: input) }
            guard let record else { break }
            builder.add(record.text)
            rows += 1
        }
        let tokens: [String]
        tokens = try builder.build()
        let text = tokens.joined(separator: "\n") + "\n"
        do {
            // As `txf prepare` does: the output's folder is made when missing.
            let directory = (output as NSString).deletingLastPathComponent
            if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
            try text.write(toFile: output, atomically: true, encoding: .utf8)
        } catch {
            throw TxfError("cannot write \(output): \(error.localizedDescription)")
        }
        var note = "wrote \(tokens.count) tokens to \(output) (\(rows) rows, \(builder.distinctWords) distinct words)"
        if tokens.count < size { note += "; the text ran out of pairs to merge before --size \(size)" }
        FileHandle.standardError.write(Data((note + "\n").utf8))
    }
}
