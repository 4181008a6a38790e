/// BERT's basic tokenization as the Rust `tokenizers` pipeline does it (`BertNormalizer` then
/// `BertPreTokenizer`), in two stages so that the second, per-word stage can be cached:
///
/// 1. `words(_:)`, on the whole text: `do_clean_text` (drop NUL, U+FFFD and control scalars, every
///    whitespace scalar to a space), `do_handle_chinese_chars` (a space either side of every CJK
///    ideograph), then split on whitespace into raw words.
/// 2. `pieces(ofWord:)`, per raw word: strip accents (NFD, drop Mn) when configured, lowercase
///    scalar by scalar when uncased, then split off every punctuation scalar as a piece of its own.
///
/// `tokenizers` normalizes the whole text before splitting it; doing the rest per word gives the
/// same pieces, because every step after cleaning maps scalars on their own except NFD's
/// reordering of combining marks, which never crosses a space.
public struct BasicTokenizer: Sendable {
    /// Lowercase (`BertNormalizer`'s `lowercase`, HF `do_lower_case`).
    public let lowercase: Bool
    /// Strip accents: `BertNormalizer`'s `strip_accents` resolved (nil there means "same as
    /// lowercase").
    public let stripAccents: Bool

    public init(lowercase: Bool = true, stripAccents: Bool? = nil) {
        self.lowercase = lowercase
        self.stripAccents = stripAccents ?? lowercase
    }

    /// Full basic tokenization of `text`: the pre-tokens `BertPreTokenizer` returns after
    /// `BertNormalizer`.
    public func tokenize(_ text: String) -> [String] {
        var out: [String] = []
        for word in words(text.unicodeScalars) {
            for piece in pieces(ofWord: word) {
                var view = String.UnicodeScalarView()
                view.append(contentsOf: piece)
                out.append(String(view))
            }
        }
        return out
    }

    // MARK: - Stage 1: whole text to raw words

    /// Cleans the text, isolates CJK ideographs and splits on whitespace.
    ///
    /// - Returns: the raw words, each a non-empty scalar array without whitespace.
    public func words<S: Sequence<Unicode.Scalar>>(_ text: S) -> [[Unicode.Scalar]] {
        var result: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        func endWord() {
            if !current.isEmpty { result.append(current); current.removeAll(keepingCapacity: true) }
        }
        for s in text {
            if CharacterClasses.isControl(s) { continue }
            if CharacterClasses.isWhitespace(s) {
                endWord()
            } else if CharacterClasses.isChineseCharacter(s) {
                endWord()
                result.append([s])
            } else {
                current.append(s)
            }
        }
        endWord()
        return result
    }

    // MARK: - Stage 2: one raw word to basic tokens

    /// Strips accents and lowercases (as configured) and splits off punctuation.
    ///
    /// - Parameter word: one raw word from `words(_:)`.
    /// - Returns: its basic tokens, each non-empty.
    public func pieces(ofWord word: [Unicode.Scalar]) -> [[Unicode.Scalar]] {
        var w = word
        // `BertNormalizer` strips accents before it lowercases.
        if stripAccents { w = Normalization.strippingAccents(w) }
        if lowercase { w = Normalization.lowercased(w) }
        var out: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        for s in w {
            if CharacterClasses.isPunctuation(s) {
                if !current.isEmpty { out.append(current); current.removeAll(keepingCapacity: true) }
                out.append([s])
            } else if CharacterClasses.isWhitespace(s) {
                // Cannot arise from NFD or lowercasing today; `BertPreTokenizer` would split here.
                if !current.isEmpty { out.append(current); current.removeAll(keepingCapacity: true) }
            } else {
                current.append(s)
            }
        }
        if !current.isEmpty { out.append(current) }
        return out
    }
}
