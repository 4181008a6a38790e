/// Greedy longest-match-first WordPiece over one basic token (`tokenizers`' `WordPiece` model).
///
/// From the word's start, take the longest prefix that is in the vocabulary, then from there
/// the longest `##`-prefixed continuation, and so on. If some position has no match, the whole
/// word is [UNK] (not just the unmatched rest); a word of more than `maxInputCharacters`
/// scalars (Rust `char`s) is [UNK] without trying.
public struct WordPiece: Sendable {
    public let vocabulary: Vocabulary
    /// `max_input_chars_per_word` (100 in tokenizer.json).
    public let maxInputCharacters: Int

    public init(vocabulary: Vocabulary, maxInputCharacters: Int = 100) {
        self.vocabulary = vocabulary
        self.maxInputCharacters = maxInputCharacters
    }

    /// Appends the ids of `word`'s pieces to `out`.
    ///
    /// - Parameter word: scalar values of one basic token, no whitespace; [n].
    public func appendIds(of word: [UInt32], to out: inout [Int32]) {
        let n = word.count
        if n == 0 { return }
        if n > maxInputCharacters { out.append(vocabulary.unkId); return }
        let hash = UInt32(UInt8(ascii: "#"))
        let first = out.count
        // key: the candidate piece, "##" + word[start..<end] after the first piece.
        var key: [UInt32] = []
        key.reserveCapacity(n + 2)
        var start = 0
        while start < n {
            let prefix = start > 0 ? 2 : 0
            // No vocab token is longer than `longestToken` scalars, so longer candidates cannot match.
            var end = min(n, start + max(0, vocabulary.longestToken - prefix))
            var found: Int32? = nil
            while start < end {
                key.removeAll(keepingCapacity: true)
                if prefix > 0 { key.append(hash); key.append(hash) }
                key.append(contentsOf: word[start..<end])
                if let id = vocabulary.id(scalars: key) { found = id; break }
                end -= 1
            }
            guard let id = found else {
                out.removeSubrange(first...)
                out.append(vocabulary.unkId)
                return
            }
            out.append(id)
            start = end
        }
    }

    /// The ids of `word`'s pieces (see `appendIds`).
    public func ids(of word: [UInt32]) -> [Int32] {
        var out: [Int32] = []
        appendIds(of: word, to: &out)
        return out
    }
}
