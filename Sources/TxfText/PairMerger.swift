/// The merge loop of `VocabBuilder`: BPE over `##`-prefixed symbols with incremental pair counts.
///
/// Pair counts are kept up to date as merges rewrite words (only the words containing the merged
/// pair are touched), and a max-heap with lazy deletion finds the best pair: every count change
/// pushes a fresh entry, and popped entries whose count is out of date are skipped.
struct PairMerger {
    private(set) var table: SymbolTable
    /// Each distinct word as symbol ids.
    private var words: [[Int32]]
    private let frequency: [Int]
    /// (left << 32 | right) -> weighted occurrences.
    private var pairCounts: [UInt64: Int] = [:]
    /// Pair -> words that contained it when counted (may include words that no longer do).
    private var pairWords: [UInt64: Set<Int32>] = [:]
    private var heap: [(count: Int, pair: UInt64)] = []

    init(table: SymbolTable, words: [[Int32]], frequency: [Int]) {
        self.table = table
        self.words = words
        self.frequency = frequency
        for (w, seq) in words.enumerated() {
            for (a, b) in zip(seq, seq.dropFirst()) {
                let p = Self.key(a, b)
                pairCounts[p, default: 0] += frequency[w]
                pairWords[p, default: []].insert(Int32(w))
            }
        }
        for (p, c) in pairCounts { push(c, p) }
    }

    /// Merges the best pair everywhere and adds its token. Returns false when no pair is left.
    mutating func mergeBest() -> Bool {
        while let top = pop() {
            guard let count = pairCounts[top.pair], count == top.count else { continue }
            merge(top.pair)
            return true
        }
        return false
    }

    // MARK: - Merge

    private mutating func merge(_ pair: UInt64) {
        let a = Int32(truncatingIfNeeded: pair >> 32), b = Int32(truncatingIfNeeded: pair & 0xFFFF_FFFF)
        // b is a continuation ("##x"), so the merged token is a's text + b's text without "##".
        let c = table.add(table.tokens[Int(a)] + table.tokens[Int(b)].dropFirst(2))
        var changed: Set<UInt64> = []
        for w in pairWords.removeValue(forKey: pair) ?? [] {
            let seq = words[Int(w)]
            let f = frequency[Int(w)]
            var merged: [Int32] = []
            merged.reserveCapacity(seq.count)
            var i = 0
            while i < seq.count {
                if i + 1 < seq.count && seq[i] == a && seq[i + 1] == b {
                    merged.append(c); i += 2
                } else {
                    merged.append(seq[i]); i += 1
                }
            }
            if merged.count == seq.count { continue }  // stale: the pair left this word earlier
            for (x, y) in zip(seq, seq.dropFirst()) {
                let p = Self.key(x, y)
                pairCounts[p, default: 0] -= f
                if pairCounts[p] == 0 { pairCounts[p] = nil }
                changed.insert(p)
            }
            for (x, y) in zip(merged, merged.dropFirst()) {
                let p = Self.key(x, y)
                pairCounts[p, default: 0] += f
                pairWords[p, default: []].insert(w)
                changed.insert(p)
            }
            words[Int(w)] = merged
        }
        for p in changed { if let count = pairCounts[p] { push(count, p) } }
    }

    private static func key(_ a: Int32, _ b: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))
    }

    // MARK: - Max-heap on (count, then left and right token text ascending)

    /// True when `x` should be merged before `y`.
    private func before(_ x: (count: Int, pair: UInt64), _ y: (count: Int, pair: UInt64)) -> Bool {
        if x.count != y.count { return x.count > y.count }
        let xl = table.tokens[Int(x.pair >> 32)], yl = table.tokens[Int(y.pair >> 32)]
        if xl != yl { return xl.lexicographicallyPrecedes(yl) }
        let xr = table.tokens[Int(x.pair & 0xFFFF_FFFF)], yr = table.tokens[Int(y.pair & 0xFFFF_FFFF)]
        return xr.lexicographicallyPrecedes(yr)
    }

    private mutating func push(_ count: Int, _ pair: UInt64) {
        heap.append((count, pair))
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if !before(heap[i], heap[parent]) { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    private mutating func pop() -> (count: Int, pair: UInt64)? {
        guard let top = heap.first else { return nil }
        let last = heap.removeLast()
        if heap.isEmpty { return top }
        heap[0] = last
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var best = i
            if l < heap.count && before(heap[l], heap[best]) { best = l }
            if r < heap.count && before(heap[r], heap[best]) { best = r }
            if best == i { break }
            heap.swapAt(i, best)
            i = best
        }
        return top
    }
}
