import ArgumentParser
import Foundation
import TxfCore
import TxfText

struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Tokenize lines of text from stdin into BERT WordPiece ids.",
        discussion: """
            Reads UTF-8 text from standard input, one example per line (lines end at \\n), and \
            prints one line per input line: the token ids separated by spaces, starting with \
            [CLS] and ending with [SEP] (an empty line gives just those two). \
            The ids are those of Hugging Face's BertTokenizer for the same vocab.txt.

            Example:
              echo "a gorgeous, witty film" | txf tokenize --vocab minilm/vocab.txt
              101 1037 9882 1010 25591 2143 102
            """)

    @Option(help: "WordPiece vocabulary, one token per line (e.g. MiniLM's vocab.txt).")
    var vocab: String

    @Option(help: "Truncate each output to at most N ids, [CLS] and [SEP] included (N >= 2). Default: no truncation.")
    var maxLength: Int?

    @Flag(help: "Casing of the tokenizer.")
    var casing: Casing = .uncased

    @Flag(help: "Print the word-piece tokens instead of ids.")
    var tokens = false

    func validate() throws {
        if let maxLength, maxLength < 2 {
            throw ValidationError("--max-length must be at least 2 (room for [CLS] and [SEP]), got \(maxLength)")
        }
    }

    func run() throws {
        let vocabulary: Vocabulary
        vocabulary = try Vocabulary(contentsOf: vocab)
        let tokenizer = BertTokenizer(vocabulary: vocabulary, lowercase: casing.lowercase)
        var out = BufferedOutput()
        try forEachStdinLine { line in
            let ids = tokenizer.encode(line, maxLength: maxLength)
            if tokens {
                out.write(ids.map { vocabulary.token(for: $0) }.joined(separator: " "))
            } else {
                out.write(ids.map(String.init).joined(separator: " "))
            }
            out.write("\n")
        }
        out.flush()
    }
}

/// Calls `body` with each line of standard input (split at \n, without it; a last line without
/// \n counts when non-empty), decoded as UTF-8 with invalid bytes replaced by U+FFFD.
func forEachStdinLine(_ body: (String) throws -> Void) throws {
    let input = FileHandle.standardInput
    var pending: [UInt8] = []
    while true {
        let data = input.readData(ofLength: 1 << 20)
        if data.isEmpty { break }
        pending.append(contentsOf: data)
        var start = 0
        try pending.withUnsafeBufferPointer { buffer in
            for i in 0..<buffer.count where buffer[i] == 0x0A {
                try body(String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<i]), as: UTF8.self))
                start = i + 1
            }
        }
        pending.removeSubrange(0..<start)
    }
    if !pending.isEmpty { try body(String(decoding: pending, as: UTF8.self)) }
}

/// Collects output and writes it to stdout in large pieces.
struct BufferedOutput {
    private var buffer: [UInt8] = []

    mutating func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { flush() }
    }

    mutating func flush() {
        if buffer.isEmpty { return }
        FileHandle.standardOutput.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }
}
