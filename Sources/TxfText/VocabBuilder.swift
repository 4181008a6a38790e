import TxfCore

/// Builds a WordPiece vocab.txt from training text, for models trained from scratch.
///
/// Construction (the scheme of HF `tokenizers`' WordPieceTrainer, which is BPE with a `##`
/// continuation prefix), deterministic for a given text:
/// 1. Words: each text goes through the tokenizer's own front end (special-token split, then
///    `BasicTokenizer`), so training sees exactly the words `BertTokenizer` will look up. Words
///    over 100 scalars (always [UNK]) and special tokens are not counted.
/// 2. Ids 0-4: [PAD] [UNK] [CLS] [SEP] [MASK]. (Not BERT's layout with [PAD]=0, [UNK]=100:
///    nothing reads fixed ids; the tokenizer and dataset files look them up by name.)
/// 3. The alphabet: every scalar seen at a word's start as itself, then every scalar seen later
///    in a word as `##` + scalar; each group by descending count, ties by scalar value. With
///    these, greedy longest match can always fall back to single scalars, so every training
///    word tokenizes without [UNK].
/// 4. Merges: each word is a sequence of its alphabet symbols; repeatedly the adjacent pair with
///    the highest count (weighted by word frequency; ties: the pair whose left, then right token
///    sorts first by scalar values) is merged everywhere into one symbol (`un` + `##able` ->
///    `unable`, `##a` + `##b` -> `##ab`), and the new token appended, until the vocab has `size`
///    tokens or every word is a single symbol (then the vocab is smaller than `size`).
public struct VocabBuilder {
    /// The first five tokens of a built vocab, ids 0-4.
    public static let specialTokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

    public let size: Int
    public let basic: BasicTokenizer
    private let specials: SpecialTokenSplit
    /// Word scalars -> occurrences.
    private var wordCounts: [[UInt32]: Int] = [:]
    /// Raw word -> its basic tokens, so repeated words skip normalization.
    private var rawCache: [[Unicode.Scalar]: [[UInt32]]] = [:]

    /// - Parameters:
    ///   - size: number of tokens wanted, special tokens included.
    ///   - lowercase: build an uncased vocab (lowercase, strip accents), as MiniLM's.
    public init(size: Int, lowercase: Bool = true) {
        self.size = size
        self.basic = BasicTokenizer(lowercase: lowercase)
        // Only the special tokens' text matters here; ids are placeholders.
        self.specials = SpecialTokenSplit(
            vocabulary: try! Vocabulary(tokens: Vocabulary.specialTokens))
    }

    /// Number of distinct words counted so far.
    public var distinctWords: Int { wordCounts.count }

    /// Counts the words of one training text.
    public mutating func add(_ text: String) {
        var chunks: [ArraySlice<Unicode.Scalar>] = []
        specials.forEachPart(of: Array(text.unicodeScalars), chunk: { chunks.append($0) }, special: { _ in })
        for chunk in chunks {
            for raw in basic.words(chunk) {
                if let tokens = rawCache[raw] {
                    for t in tokens { wordCounts[t, default: 0] += 1 }
                    continue
                }
                let tokens = basic.pieces(ofWord: raw)
                    .filter { $0.count <= 100 && !Vocabulary.specialTokens.contains(String(String.UnicodeScalarView($0))) }
                    .map { $0.map(\.value) }
                if rawCache.count < 1 << 20 { rawCache[raw] = tokens }
                for t in tokens { wordCounts[t, default: 0] += 1 }
            }
        }
    }

    /// The vocabulary, tokens in id order (write one per line as vocab.txt).
    ///
    /// Throws when `size` cannot hold the special tokens and the alphabet.
    public func build() throws -> [String] {
        // Distinct words in a fixed order, so that the merge loop is deterministic.
        let words = wordCounts.keys.sorted { $0.lexicographicallyPrecedes($1) }
        let frequency = words.map { wordCounts[$0]! }

        var initialCount: [UInt32: Int] = [:]
        var continuationCount: [UInt32: Int] = [:]
        for (w, f) in zip(words, frequency) {
            initialCount[w[0], default: 0] += f
            for s in w.dropFirst() { continuationCount[s, default: 0] += f }
        }
        func ordered(_ counts: [UInt32: Int]) -> [UInt32] {
            counts.keys.sorted { counts[$0]! != counts[$1]! ? counts[$0]! > counts[$1]! : $0 < $1 }
        }
        let hash = UInt32(UInt8(ascii: "#"))
        var table = SymbolTable()
        for special in Self.specialTokens { _ = table.add(special.unicodeScalars.map(\.value)) }
        for s in ordered(initialCount) { _ = table.add([s]) }
        for s in ordered(continuationCount) { _ = table.add([hash, hash, s]) }
        if table.count > size {
            throw TxfError("vocab size \(size) is too small: this text needs \(table.count) entries "
                + "(5 special tokens + \(initialCount.count) word-initial and \(continuationCount.count) continuation characters)")
        }

        var merges = PairMerger(table: table, words: words.map { w in
            w.enumerated().map { i, s in table.id(of: i == 0 ? [s] : [hash, hash, s])! }
        }, frequency: frequency)
        while merges.table.count < size, merges.mergeBest() {}
        return merges.table.tokens.map { String(String.UnicodeScalarView($0.compactMap(Unicode.Scalar.init))) }
    }
}

/// Tokens (as scalar values) with ids in insertion order; adding an existing token returns its id.
struct SymbolTable {
    private(set) var tokens: [[UInt32]] = []
    private var ids: [[UInt32]: Int32] = [:]

    var count: Int { tokens.count }

    func id(of token: [UInt32]) -> Int32? { ids[token] }

    mutating func add(_ token: [UInt32]) -> Int32 {
        if let id = ids[token] { return id }
        let id = Int32(tokens.count)
        tokens.append(token)
        ids[token] = id
        return id
    }
}
