import ArgumentParser

/// Whether the tokenizer lowercases (uncased models such as MiniLM) or not: `--uncased` /
/// `--cased`, the one spelling of every command that tokenizes (prepare, vocab, tokenize, import-hf).
enum Casing: String, EnumerableFlag {
    case uncased, cased

    static func help(for value: Casing) -> ArgumentHelp? {
        switch value {
        case .uncased: return "Lowercase and strip accents before WordPiece (default; uncased models such as MiniLM)."
        case .cased: return "Keep case and accents (cased models)."
        }
    }

    /// `BertTokenizer`'s `lowercase`.
    var lowercase: Bool { self == .uncased }
}
