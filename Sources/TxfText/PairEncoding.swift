/// A sentence pair as BERT was pretrained on it: `[CLS] a [SEP] b [SEP]`, token type 0 for
/// `[CLS] a [SEP]` and 1 for `b [SEP]`.
public struct PairEncoding: Sendable, Equatable {
    /// [CLS] a [SEP] b [SEP]; [|a| + |b| + 3], |a| and |b| after truncation.
    public var ids: [Int32]
    /// Where `b` starts in `ids` (the position after the first [SEP]): `|a| + 2`.
    public var pairStart: Int

    public init(ids: [Int32], pairStart: Int) {
        self.ids = ids
        self.pairStart = pairStart
    }

    /// Token type ids: 0 before `pairStart`, 1 from it on; [ids.count].
    public var typeIds: [Int32] { Self.typeIds(count: ids.count, pairStart: pairStart) }

    /// 0 for positions `..< pairStart`, 1 for `pairStart ..< count`; [count].
    public static func typeIds(count: Int, pairStart: Int) -> [Int32] {
        Array(repeating: 0, count: min(count, pairStart)) + Array(repeating: 1, count: max(0, count - pairStart))
    }

    /// Word pieces kept of each side so that both fit in `budget` (the max length less the 3
    /// special tokens): `tokenizers`' `TruncationStrategy::LongestFirst` (truncation.rs) with
    /// stride 0. Nothing is cut when both fit. Otherwise, with n1 the shorter side's length and
    /// n2 the longer's, the longer one is cut to `max(n1, budget - n1)`; when that is still too
    /// long (both sides long) the shorter gets `budget / 2` and the longer `budget / 2 + budget % 2`
    /// — of equal lengths, `b` counts as the longer. Each side keeps its first pieces.
    ///
    /// - Returns: pieces kept of `a` and of `b`.
    public static func keptLengths(first: Int, second: Int, budget: Int) -> (first: Int, second: Int) {
        if first + second <= budget { return (first, second) }
        let swap = first > second
        var n1 = swap ? second : first, n2 = swap ? first : second
        n2 = n1 > budget ? n1 : max(n1, budget - n1)
        if n1 + n2 > budget {
            n1 = budget / 2
            n2 = n1 + budget % 2
        }
        return swap ? (n2, n1) : (n1, n2)
    }
}

extension BertTokenizer {
    /// `tokenizers`' `encode(a, b)` with BERT's pair template and `enable_truncation(maxLength)`
    /// (strategy longest_first): `[CLS] a [SEP] b [SEP]`, the sides cut by
    /// `PairEncoding.keptLengths` to fit `maxLength`.
    ///
    /// - Parameter maxLength: total length including the three special tokens (at least 3;
    ///   `tokenizers` does not truncate a pair below that); nil: no truncation.
    public func encodePair(_ a: String, _ b: String, maxLength: Int? = nil) -> PairEncoding {
        encodePair(pieces: pieceIds(a), pieceIds(b), maxLength: maxLength)
    }

    /// The pair encoding of already split word pieces (`pieceIds` of each side).
    public func encodePair(pieces a: [Int32], _ b: [Int32], maxLength: Int?) -> PairEncoding {
        var keep = (first: a.count, second: b.count)
        if let maxLength {
            precondition(maxLength >= 3, "a pair needs room for [CLS] and two [SEP]")
            keep = PairEncoding.keptLengths(first: a.count, second: b.count, budget: maxLength - 3)
        }
        var ids: [Int32] = [vocabulary.clsId]
        ids.reserveCapacity(keep.first + keep.second + 3)
        ids.append(contentsOf: a.prefix(keep.first))
        ids.append(vocabulary.sepId)
        let pairStart = ids.count
        ids.append(contentsOf: b.prefix(keep.second))
        ids.append(vocabulary.sepId)
        return PairEncoding(ids: ids, pairStart: pairStart)
    }
}
