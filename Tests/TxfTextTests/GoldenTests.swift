import Foundation
import Testing
@testable import TxfText

/// Hugging Face BertTokenizer's output on the edge cases in Fixtures/edge_cases.txt, recorded by
/// Fixtures/make_golden.py with the MiniLM vocab.
struct Golden: Decodable {
    struct Case: Decodable {
        let text: String
        let uncased: [Int32]
        let cased: [Int32]
        let truncated8: [Int32]
        let tokens: [String]
        let decoded: String
    }
    let python_unicode: String
    let vocab_sha256: String
    let cases: [Case]

    static func load() throws -> Golden {
        let data = try Data(contentsOf: TestPaths.fixtures.appendingPathComponent("golden.json"))
        return try JSONDecoder().decode(Golden.self, from: data)
    }
}

@Suite(.enabled(if: TestPaths.minilmVocab != nil,
                "MiniLM vocab.txt not found in $TXF_MINILM_DIR or ~/.cache/txf/minilm (run launch/fetch-minilm.sh)"))
struct GoldenTests {
    let golden: Golden
    let vocabulary: Vocabulary
    let version: UnicodeVersion

    init() throws {
        golden = try Golden.load()
        vocabulary = try Vocabulary(contentsOf: TestPaths.minilmVocab!)
        version = UnicodeVersion(golden.python_unicode)!
    }

    @Test func vocabIsTheOneTheGoldenFileWasMadeWith() {
        #expect(vocabulary.sha256 == golden.vocab_sha256)
        #expect(vocabulary.count == 30522)
        #expect([vocabulary.padId, vocabulary.unkId, vocabulary.clsId, vocabulary.sepId, vocabulary.maskId] == [0, 100, 101, 102, 103])
    }

    @Test func everyEdgeCaseMatchesHuggingFace() {
        #expect(golden.cases.count >= 40)
        let uncased = BertTokenizer(vocabulary: vocabulary, lowercase: true, unicodeVersion: version)
        let cased = BertTokenizer(vocabulary: vocabulary, lowercase: false, unicodeVersion: version)
        for c in golden.cases {
            #expect(uncased.encode(c.text) == c.uncased, "uncased: \(c.text.debugDescription)")
            #expect(cased.encode(c.text) == c.cased, "cased: \(c.text.debugDescription)")
            #expect(uncased.encode(c.text, maxLength: 8) == c.truncated8, "max 8: \(c.text.debugDescription)")
            #expect(uncased.tokens(c.text) == c.tokens, "tokens: \(c.text.debugDescription)")
            #expect(uncased.decode(c.uncased) == c.decoded, "decode: \(c.text.debugDescription)")
        }
    }

    @Test func fixtureCoversTheEdgeCasesItClaims() {
        let all = golden.cases.map(\.text).joined(separator: "\n")
        for needle in ["\u{0}", "\u{FFFD}", "\u{200B}", "\t", "\r", "[CLS]", "中", "한", "😀", "é", "'", "https://"] {
            #expect(all.contains(needle), "no case contains \(needle.debugDescription)")
        }
        #expect(golden.cases.contains { $0.text.isEmpty })
        #expect(golden.cases.contains { $0.text.unicodeScalars.count > 101 && $0.uncased.contains(100) })
    }
}
