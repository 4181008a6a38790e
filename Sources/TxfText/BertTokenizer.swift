import Foundation

/// BERT's WordPiece tokenizer, giving the ids of Hugging Face's Rust `tokenizers` BERT pipeline,
/// the one deployments run (`AutoTokenizer`, transformers 5's `BertTokenizer`,
/// `Tokenizer.from_file("tokenizer.json")` with `BertNormalizer`), for the same vocab.
///
/// `encode` = `tokenizers` `encode(text)` with truncation to `maxLength` when given:
/// 1. split the raw text around the special tokens' literal text ("[CLS]", "[SEP]", "[PAD]",
///    "[UNK]", "[MASK]"; case-sensitive, the added tokens, not normalized): each becomes its id;
/// 2. each stretch between them: `BasicTokenizer` then `WordPiece`;
/// 3. keep the first `maxLength - 2` ids, wrap in [CLS] ... [SEP].
///
/// Hugging Face's Python tokenizer (`BertTokenizerLegacy` in transformers 5) gives other ids for
/// some text: it lowercases Σ to ς at a word's end, drops scalars unassigned in Python's Unicode
/// tables where this keeps them as [UNK], reads categories from those newer tables, applies NFC,
/// treats special-token text that appears after cleaning as the special token, and counts
/// U+2B820-U+2B91F as CJK. Tests/TxfTextTests/Fixtures/legacy_vs_fast.py counts such rows.
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
    public init(vocabulary: Vocabulary, lowercase: Bool, stripAccents: Bool? = nil) {
        self.vocabulary = vocabulary
        self.basic = BasicTokenizer(lowercase: lowercase, stripAccents: stripAccents)
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

    /// `tokenizers`' `decode(ids, skip_special_tokens=False)` with BERT's WordPiece decoder (what
    /// `AutoTokenizer.decode(ids)` returns): ids without a token are skipped; every token after
    /// the first loses a leading "##" or gains a leading space; then each token on its own gets
    /// the decoder's cleanup (" ." -> ".", " ," -> ",", ...). Special tokens are kept.
    public func decode(_ ids: [Int32]) -> String {
        var text = String.UnicodeScalarView()
        let continuation = Array("##".unicodeScalars)
        for (i, token) in ids.compactMap({ vocabulary.knownToken(for: $0) }).enumerated() {
            var piece = Array(token.unicodeScalars)
            if i > 0 {
                if piece.starts(with: continuation) { piece.removeFirst(2) } else { piece.insert(" ", at: 0) }
            }
            for (from, to) in Self.decoderCleanup { piece = replacingAll(from, with: to, in: piece) }
            text.append(contentsOf: piece)
        }
        return String(text)
    }

    /// The WordPiece decoder's `cleanup` replacements, applied in this order.
    private static let decoderCleanup: [([Unicode.Scalar], [Unicode.Scalar])] = [
        (" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
        (" 'm", "'m"), (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"),
    ].map { (Array($0.0.unicodeScalars), Array($0.1.unicodeScalars)) }

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

    /// Rust `str::replace`: every non-overlapping occurrence of `pattern`, left to right.
    private func replacingAll(_ pattern: [Unicode.Scalar], with replacement: [Unicode.Scalar],
                              in scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard scalars.count >= pattern.count else { return scalars }
        var out: [Unicode.Scalar] = []
        var i = 0
        while i < scalars.count {
            if i + pattern.count <= scalars.count && scalars[i..<(i + pattern.count)].elementsEqual(pattern) {
                out.append(contentsOf: replacement)
                i += pattern.count
            } else {
                out.append(scalars[i])
                i += 1
            }
        }
        return out
    }
}
