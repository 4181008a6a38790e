import Foundation
import Testing
@testable import TxfText

/// The Rust `tokenizers` output (MiniLM's tokenizer.json, what `AutoTokenizer` runs) on the edge
/// cases in Fixtures/edge_cases.txt, recorded by Fixtures/make_golden.py.
struct Golden: Decodable {
    struct Case: Decodable {
        let text: String
        let uncased: [Int32]
        let cased: [Int32]
        let truncated8: [Int32]
        let tokens: [String]
        let decoded: String
    }
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

    init() throws {
        golden = try Golden.load()
        vocabulary = try Vocabulary(contentsOf: TestPaths.minilmVocab!)
    }

    @Test func vocabIsTheOneTheGoldenFileWasMadeWith() {
        #expect(vocabulary.sha256 == golden.vocab_sha256)
        #expect(vocabulary.count == 30522)
        #expect([vocabulary.padId, vocabulary.unkId, vocabulary.clsId, vocabulary.sepId, vocabulary.maskId] == [0, 100, 101, 102, 103])
    }

    @Test func everyEdgeCaseMatchesTheFastTokenizer() {
        #expect(golden.cases.count >= 50)
        let uncased = BertTokenizer(vocabulary: vocabulary, lowercase: true)
        let cased = BertTokenizer(vocabulary: vocabulary, lowercase: false)
        // Strings compared scalar by scalar: Swift's == would equate canonically equivalent text.
        func scalars(_ texts: [String]) -> [[Unicode.Scalar]] { texts.map { Array($0.unicodeScalars) } }
        for c in golden.cases {
            #expect(uncased.encode(c.text) == c.uncased, "uncased: \(c.text.debugDescription)")
            #expect(cased.encode(c.text) == c.cased, "cased: \(c.text.debugDescription)")
            #expect(uncased.encode(c.text, maxLength: 8) == c.truncated8, "max 8: \(c.text.debugDescription)")
            #expect(scalars(uncased.tokens(c.text)) == scalars(c.tokens), "tokens: \(c.text.debugDescription)")
            #expect(scalars([uncased.decode(c.uncased)]) == scalars([c.decoded]), "decode: \(c.text.debugDescription)")
        }
    }

    @Test func fixtureCoversTheEdgeCasesItClaims() {
        let all = golden.cases.map(\.text).joined(separator: "\n")
        for needle in ["\u{0}", "\u{FFFD}", "\u{200B}", "\t", "\r", "\u{B}", "\u{85}", "[CLS]", "中", "\u{2B820}", "한",
                       "😀", "é", "'", "https://", "ΣΑΣ", "\u{2E43}", "\u{890}", "\u{11938}", "\u{378}"] {
            // By scalars: U+0890, a prepended mark, joins the next character into one Character.
            #expect(all.unicodeScalars.firstRange(of: needle.unicodeScalars) != nil, "no case contains \(needle.debugDescription)")
        }
        #expect(golden.cases.contains { $0.text.isEmpty })
        #expect(golden.cases.contains { $0.text.unicodeScalars.count > 101 && $0.uncased.contains(100) })
    }
}
