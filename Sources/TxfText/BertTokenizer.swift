import Foundation

/// BERT's WordPiece tokenizer, giving the ids of Hugging Face's Python BertTokenizer
/// (`BertTokenizerLegacy` in transformers 5) for the same vocab.txt.
///
/// `encode` = HF `encode(text, truncation=bool(maxLength), max_length=maxLength)`:
/// 1. split the raw text around the special tokens' literal text ("[CLS]", "[SEP]", "[PAD]",
///    "[UNK]", "[MASK]"; case-sensitive, HF's added-tokens trie): each becomes its own id;
/// 2. each stretch between them: `BasicTokenizer` then `WordPiece`;
/// 3. keep the first `maxLength - 2` ids, wrap in [CLS] ... [SEP].
///
/// Where HF's Rust-backed BertTokenizerFast (transformers 5's `BertTokenizer`) differs from this
/// reference, seen in Tests/TxfTextTests/Fixtures/golden.json: it lowercases Σ always to σ
/// (Python's `lower()` gives ς at a word's end); it keeps scalars that Python's older Unicode
/// tables call unassigned (as [UNK]) where Python drops them; it does not see special-token
/// text that appears only after cleaning ("[CL\u{200B}S]" is [CLS] here, "[", "cl", "##s", "]"
/// there); and it applies no NFC (visible only when cased). transformers 4's Python tokenizer
/// lowercased the text character by character before splitting, so it too gives σ, never ς.
///
/// Raw words (after cleaning and whitespace splitting) are cached with their ids, so repeated
/// words cost one dictionary lookup. The cache is guarded by a lock: one tokenizer may be shared
/// across threads.
public final class BertTokenizer: @unchecked Sendable {
    public let vocabulary: Vocabulary
    public let basic: BasicTokenizer
    public let wordPiece: WordPiece
    /// Whether text is lowercased (uncased model); recorded with prepared datasets.
    public var lowercase: Bool { basic.lowercase }

    /// Raw word scalars -> its ids; bounded by `cacheLimit` entries.
    private var cache: [[UInt32]: [Int32]] = [:]
    private let cacheLock = NSLock()
    private let cacheLimit = 1 << 20
    /// Finds special tokens' literal text in the raw input.
    private let specials: SpecialTokenSplit

    /// - Parameters:
    ///   - lowercase: uncased model (lowercase and strip accents), HF `do_lower_case`.
    ///   - stripAccents: HF `strip_accents`; nil follows `lowercase`.
    ///   - unicodeVersion: Unicode version of the Python to match (scalars assigned later are
    ///     dropped as unassigned, as that Python does).
    public init(vocabulary: Vocabulary, lowercase: Bool, stripAccents: Bool? = nil,
                unicodeVersion: UnicodeVersion = .python311) {
        self.vocabulary = vocabulary
        self.basic = BasicTokenizer(lowercase: lowercase, stripAccents: stripAccents, unicodeVersion: unicodeVersion)
        self.wordPiece = WordPiece(vocabulary: vocabulary)
        specials = SpecialTokenSplit(vocabulary: vocabulary)
    }

    /// Token ids of `text` with [CLS] first and [SEP] last.
    ///
    /// - Parameter maxLength: total length including [CLS] and [SEP] (at least 2); longer
    ///   outputs keep their first `maxLength - 2` word pieces. nil: no truncation.
    /// - Returns: ids; [min(pieces + 2, maxLength)].
    public func encode(_ text: String, maxLength: Int? = nil) -> [Int32] {
        var ids: [Int32] = [vocabulary.clsId]
        appendPieceIds(of: text, to: &ids)
        if let maxLength, ids.count + 1 > maxLength {
            ids.removeSubrange(max(1, maxLength - 1)...)
        }
        ids.append(vocabulary.sepId)
        return ids
    }

    /// Word-piece ids of `text` without [CLS]/[SEP] and without truncation.
    public func pieceIds(_ text: String) -> [Int32] {
        var ids: [Int32] = []
        appendPieceIds(of: text, to: &ids)
        return ids
    }

    /// The word pieces of `text` as token strings, without [CLS]/[SEP] (HF `tokenize`).
    public func tokens(_ text: String) -> [String] {
        pieceIds(text).map { vocabulary.token(for: $0) }
    }

    /// HF `decode(ids)` with its defaults: tokens joined by spaces, " ##" removed, ends stripped,
    /// then `clean_up_tokenization` (" ." -> ".", " n't" -> "n't", ...). Special tokens are kept.
    public func decode(_ ids: [Int32]) -> String {
        var text = ids.map { vocabulary.token(for: $0) }.joined(separator: " ")
        text = text.replacingOccurrences(of: " ##", with: "", options: .literal)
        text = pythonStrip(text)
        for (from, to) in [(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"),
                           (" n't", "n't"), (" 'm", "'m"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")] {
            text = text.replacingOccurrences(of: from, with: to, options: .literal)
        }
        return text
    }

    // MARK: - Internals

    /// Splits `text` around special tokens and appends each stretch's word-piece ids.
    private func appendPieceIds(of text: String, to ids: inout [Int32]) {
        specials.forEachPart(of: Array(text.unicodeScalars),
                             chunk: { appendChunk($0, to: &ids) },
                             special: { ids.append($0) })
    }

    private func appendChunk(_ chunk: ArraySlice<Unicode.Scalar>, to ids: inout [Int32]) {
        for word in basic.words(chunk) {
            let key = word.map(\.value)
            cacheLock.lock()
            let hit = cache[key]
            cacheLock.unlock()
            if let hit { ids.append(contentsOf: hit); continue }
            var wordIds: [Int32] = []
            for piece in basic.pieces(ofWord: word) {
                wordPiece.appendIds(of: piece.map(\.value), to: &wordIds)
            }
            ids.append(contentsOf: wordIds)
            cacheLock.lock()
            if cache.count < cacheLimit { cache[key] = wordIds }
            cacheLock.unlock()
        }
    }

    /// Python `str.strip()`: removes leading and trailing Python whitespace.
    private func pythonStrip(_ text: String) -> String {
        let s = Array(text.unicodeScalars)
        var lo = 0, hi = s.count
        while lo < hi && CharacterClasses.isPythonSpace(s[lo]) { lo += 1 }
        while hi > lo && CharacterClasses.isPythonSpace(s[hi - 1]) { hi -= 1 }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: s[lo..<hi])
        return String(view)
    }
}
