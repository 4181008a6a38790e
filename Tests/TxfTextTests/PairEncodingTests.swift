import Foundation
import TxfTestSupport
import Testing
import TxfText

/// Sentence pairs: `[CLS] a [SEP] b [SEP]` with token types, truncated longest-first as Hugging
/// Face's Rust `tokenizers` does. The differential tests run `encode(a, b)` of MiniLM's
/// tokenizer.json (Fixtures/hf_encode_pairs.py) and skip like DifferentialTests.
@Suite struct PairEncodingTests {
    /// Hand-worked cases of `tokenizers`' LongestFirst rule (truncation.rs).
    @Test func keptLengthsFollowLongestFirst() {
        let cases: [(Int, Int, Int, Int, Int)] = [
            (3, 2, 10, 3, 2),   // fits: nothing cut
            (3, 9, 8, 3, 5),    // only the longer side is cut
            (9, 3, 8, 5, 3),
            (9, 9, 8, 4, 4),    // both long: halves
            (9, 9, 7, 3, 4),    // odd budget: b, the "longer" of equals, gets the extra piece
            (10, 9, 7, 4, 3),   // a longer: a gets the extra piece
            (5, 4, 1, 1, 0),
            (4, 5, 0, 0, 0),    // max length 3: only the special tokens
            (0, 7, 3, 0, 3),
            (6, 0, 2, 2, 0),
        ]
        for (a, b, budget, ka, kb) in cases {
            let kept = PairEncoding.keptLengths(first: a, second: b, budget: budget)
            #expect(kept.first == ka && kept.second == kb, "a \(a), b \(b), budget \(budget): got \(kept)")
        }
    }

    @Test func typeIdsAreZeroThroughTheFirstSeparator() throws {
        let vocabulary = try Vocabulary(tokens: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "b", "c"])
        let tokenizer = BertTokenizer(vocabulary: vocabulary, lowercase: true)
        let pair = tokenizer.encodePair("a b", "c")
        #expect(pair.ids == [2, 5, 6, 3, 7, 3])
        #expect(pair.pairStart == 4)
        #expect(pair.typeIds == [0, 0, 0, 0, 1, 1])
        #expect(tokenizer.encodePair("a b c", "c b a", maxLength: 5).ids == [2, 5, 3, 7, 3])
    }
}

@Suite(.enabled(if: TestPaths.minilmVocab != nil && TestPaths.minilmTokenizerJSON != nil,
                "needs MiniLM's vocab.txt and tokenizer.json in $TXF_MINILM_DIR or ~/.cache/txf/minilm (run launch/fetch-minilm.sh)"),
       .enabled(if: TestPaths.pythonWithTokenizers != nil, "needs python3 with tokenizers (pip install tokenizers)"))
struct PairDifferentialTests {
    let tokenizer: BertTokenizer

    init() throws {
        tokenizer = BertTokenizer(vocabulary: try Vocabulary(contentsOf: TestPaths.minilmVocab!), lowercase: true)
    }

    /// `tokenizers`' [ids, type_ids] for each (a, b, maxLength).
    private func reference(_ pairs: [(String, String, Int?)]) throws -> [([Int32], [Int32])] {
        let input = TestScratch.path("pairs.json")
        let json = pairs.map { [$0.0, $0.1, $0.2.map { $0 as Any } ?? NSNull()] as [Any] }
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: input))
        defer { try? FileManager.default.removeItem(atPath: input) }
        let script = TestPaths.fixtures.appendingPathComponent("hf_encode_pairs.py").path
        let (status, stdout) = try runProcess(TestPaths.pythonWithTokenizers!, [script, TestPaths.minilmTokenizerJSON!, input])
        try #require(status == 0, "hf_encode_pairs.py failed with status \(status)")
        let lines = String(decoding: stdout, as: UTF8.self).split(separator: "\n")
        try #require(lines.count == pairs.count)
        return try lines.map { line in
            let value = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [[Int]])
            return (value[0].map(Int32.init), value[1].map(Int32.init))
        }
    }

    /// Compares every pair and returns the number of mismatches (the first few are recorded).
    private func mismatches(_ pairs: [(String, String, Int?)]) throws -> Int {
        var count = 0
        for (pair, expected) in zip(pairs, try reference(pairs)) {
            let ours = tokenizer.encodePair(pair.0, pair.1, maxLength: pair.2)
            if ours.ids != expected.0 || ours.typeIds != expected.1 {
                count += 1
                if count <= 5 { Issue.record("\(pair): txf \(ours.ids) \(ours.typeIds) vs tokenizers \(expected.0) \(expected.1)") }
            }
        }
        return count
    }

    /// Sides of 0 to 13 words (odd and even, one or both long, word pieces of several per word)
    /// under every max length from the smallest a pair allows to past the longest pair.
    @Test func constructedPairsGiveTheFastTokenizersEncoding() throws {
        let words = ["the", "unbelievably", "moving", "film", "a", "tokenization", "of", "émigré", "cats", ",", "dull", "!", "x"]
        var pairs: [(String, String, Int?)] = []
        for n in 0 ... 13 {
            for m in [0, 1, 2, 5, 8, 13] {
                let a = words.prefix(n).joined(separator: " ")
                let b = words.suffix(m).reversed().joined(separator: " ")
                for maxLength in [3, 4, 5, 6, 7, 8, 9, 10, 11, 16, 23, nil] as [Int?] { pairs.append((a, b, maxLength)) }
            }
        }
        #expect(try mismatches(pairs) == 0)
        print("PairDifferentialTests: \(pairs.count) constructed pairs")
    }

    /// SST-2 dev sentences paired with their neighbours, at lengths that cut many of them.
    @Test(.enabled(if: TestPaths.sst2Dev != nil, "needs SST-2 ($TXF_SST2_DIR or ../shared/datasets/sst2)"))
    func sst2PairsGiveTheFastTokenizersEncoding() throws {
        let text = try String(contentsOfFile: TestPaths.sst2Dev!, encoding: .utf8)
        let sentences = text.split(separator: "\n").dropFirst().map { String($0.split(separator: "\t")[0]) }
        var pairs: [(String, String, Int?)] = []
        for (i, a) in sentences.enumerated() {
            let b = sentences[(i * 7 + 3) % sentences.count]
            pairs.append((a, b, [12, 17, 32, 64, 128][i % 5]))
        }
        #expect(pairs.count > 800)
        #expect(try mismatches(pairs) == 0)
    }
}
