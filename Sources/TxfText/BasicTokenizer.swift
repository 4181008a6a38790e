/// BERT's basic tokenization (HF `BasicTokenizer.tokenize`), in two stages so that the second,
/// per-word stage can be cached:
///
/// 1. `words(_:)`, on the whole text: `_clean_text` (drop U+0000, U+FFFD and control scalars,
///    whitespace to a space), `_tokenize_chinese_chars` (a space either side of every CJK
///    ideograph), NFC, then Python `str.split()` into raw words.
/// 2. `pieces(ofWord:)`, per raw word: unless the word is a special token ("[CLS]" etc., HF's
///    `never_split`), Python `lower()` and strip accents (NFD, drop `Mn`) when uncased, then
///    `_run_split_on_punc`: every punctuation scalar becomes a token of its own.
///
/// Stage 2 sees one word at a time, exactly as HF's loop does, so its result depends on the word
/// alone (`lower()`'s final-sigma rule looks only within the word).
public struct BasicTokenizer: Sendable {
    /// Lowercase (HF `do_lower_case`).
    public let lowercase: Bool
    /// Strip accents: HF's `strip_accents` resolved (nil there means "same as lowercase").
    public let stripAccents: Bool
    /// The Unicode version of the Python whose output to reproduce (see `UnicodeVersion`).
    public let unicodeVersion: UnicodeVersion
    /// Words never lowercased or split: HF passes `all_special_tokens` as `never_split`.
    private let neverSplit: Set<[Unicode.Scalar]>

    public init(lowercase: Bool = true, stripAccents: Bool? = nil,
                unicodeVersion: UnicodeVersion = .python311,
                neverSplit: [String] = Vocabulary.specialTokens) {
        self.lowercase = lowercase
        self.stripAccents = stripAccents ?? lowercase
        self.unicodeVersion = unicodeVersion
        self.neverSplit = Set(neverSplit.map { Array($0.unicodeScalars) })
    }

    /// Full basic tokenization of `text`: what HF's `BasicTokenizer.tokenize` returns.
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

    /// Cleans the text, isolates CJK ideographs, applies NFC and splits on Python whitespace.
    ///
    /// - Returns: the raw words, each a non-empty scalar array without whitespace.
    public func words<S: Sequence<Unicode.Scalar>>(_ text: S) -> [[Unicode.Scalar]] {
        var cleaned: [Unicode.Scalar] = []
        cleaned.reserveCapacity(text.underestimatedCount + 8)
        let space: Unicode.Scalar = " "
        for s in text {
            let v = s.value
            if v < 0x80 {
                // ASCII: tab, newline, return are whitespace; other C0 controls and DEL vanish.
                if v >= 0x20 && v != 0x7F { cleaned.append(s) }
                else if v == 0x09 || v == 0x0A || v == 0x0D { cleaned.append(space) }
                continue
            }
            if v == 0xFFFD || CharacterClasses.isControl(s, version: unicodeVersion) { continue }
            if CharacterClasses.isWhitespace(s) {
                cleaned.append(space)
            } else if CharacterClasses.isChineseCharacter(s) {
                cleaned.append(space); cleaned.append(s); cleaned.append(space)
            } else {
                cleaned.append(s)
            }
        }
        let normalized = Normalization.nfc(cleaned)
        var result: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        for s in normalized {
            if CharacterClasses.isPythonSpace(s) {
                if !current.isEmpty { result.append(current); current.removeAll(keepingCapacity: true) }
            } else {
                current.append(s)
            }
        }
        if !current.isEmpty { result.append(current) }
        return result
    }

    // MARK: - Stage 2: one raw word to basic tokens

    /// Lowercases and strips accents (when configured) and splits off punctuation.
    ///
    /// - Parameter word: one raw word from `words(_:)`.
    /// - Returns: its basic tokens, each non-empty; a special token comes back whole.
    public func pieces(ofWord word: [Unicode.Scalar]) -> [[Unicode.Scalar]] {
        if neverSplit.contains(word) { return [word] }
        var w = word
        if lowercase { w = Normalization.pythonLowercase(w) }
        if stripAccents { w = Normalization.stripAccents(w) }
        // HF checks never_split again in _run_split_on_punc, after the case/accent changes
        // (reachable when cased with stripAccents: "[CLŚ]" becomes "[CLS]").
        if neverSplit.contains(w) { return [w] }
        var out: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        for s in w {
            if CharacterClasses.isPunctuation(s) {
                if !current.isEmpty { out.append(current); current.removeAll(keepingCapacity: true) }
                out.append([s])
            } else if CharacterClasses.isPythonSpace(s) {
                // Cannot arise from lower()/NFD today; HF's final whitespace_tokenize would split here.
                if !current.isEmpty { out.append(current); current.removeAll(keepingCapacity: true) }
            } else {
                current.append(s)
            }
        }
        if !current.isEmpty { out.append(current) }
        return out
    }
}
