/// `tokenizers`' added-tokens split: the literal text of a special token ("[CLS]", "[SEP]",
/// "[PAD]", "[UNK]", "[MASK]"; added tokens with `normalized: false`) anywhere in the raw input,
/// case-sensitive and even glued to other characters, stands for that token; only the stretches
/// between are normalized and tokenized. Text that spells a special token only after cleaning
/// ("[CL\u{200B}S]") is ordinary text. No special token occurs inside another, so leftmost
/// matching is the leftmost-longest match `tokenizers` makes.
struct SpecialTokenSplit: Sendable {
    /// (scalars, id) of each special token.
    let specials: [([Unicode.Scalar], Int32)]

    init(vocabulary: Vocabulary) {
        specials = Vocabulary.specialTokens.map { (Array($0.unicodeScalars), vocabulary.id(for: $0)!) }
    }

    /// Calls `chunk` for each non-empty stretch of ordinary text and `special` for each special
    /// token, in text order.
    func forEachPart(of scalars: [Unicode.Scalar], chunk: (ArraySlice<Unicode.Scalar>) -> Void,
                     special: (Int32) -> Void) {
        let n = scalars.count
        var chunkStart = 0
        var i = 0
        while i < n {
            if scalars[i] == "[", let (length, id) = match(at: i, in: scalars) {
                if chunkStart < i { chunk(scalars[chunkStart..<i]) }
                special(id)
                i += length
                chunkStart = i
            } else {
                i += 1
            }
        }
        if chunkStart < n { chunk(scalars[chunkStart..<n]) }
    }

    /// The special token whose text starts at `i`, as (scalar count, id).
    private func match(at i: Int, in scalars: [Unicode.Scalar]) -> (Int, Int32)? {
        for (token, id) in specials where i + token.count <= scalars.count {
            if scalars[i..<(i + token.count)].elementsEqual(token) { return (token.count, id) }
        }
        return nil
    }
}
