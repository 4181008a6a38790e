import TxfCore
import Foundation
import TxfTestSupport
import Testing
@testable import TxfText

/// A hand-written vocab: every expected id below is read off this list by hand.
private let tinyTokens = [
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",  // 0-4
    "un", "##aff", "##able", "hello", "world",     // 5-9
    "!", ",", "##s", "cafe", "a",                  // 10-14
    "##a", "the", "中", "σ", "##ς",                 // 15-19
    "##σ", "'", "t", "don", "i",                   // 20-24
    "##\u{307}", "ι", "##υ", "hello world",       // 25-28
    "##\u{20DD}",                                  // 29: combining enclosing circle (Me)
]

private func tiny(lowercase: Bool = true) throws -> BertTokenizer {
    BertTokenizer(vocabulary: try Vocabulary(tokens: tinyTokens), lowercase: lowercase)
}

@Suite struct TinyVocabTests {
    @Test func greedyLongestMatchWithContinuationPieces() throws {
        // un|##aff|##able ; "worlds": "worlds" absent, "world" then "##s".
        #expect(try tiny().encode("Unaffable hello, worlds!") == [2, 5, 6, 7, 8, 11, 9, 12, 10, 3])
    }

    @Test func uncoverableWordIsOneUnknownNotAPartialMatch() throws {
        // "unx": "un" matches but "##x" does not, so the whole word is [UNK]; "xyz" too.
        #expect(try tiny().encode("unx xyz hello") == [2, 1, 1, 8, 3])
    }

    @Test func wordsOverOneHundredScalarsAreUnknown() throws {
        let t = try tiny()
        let hundred = t.encode(String(repeating: "a", count: 100))
        #expect(hundred == [2, 14] + [Int32](repeating: 15, count: 99) + [3])
        #expect(t.encode(String(repeating: "a", count: 101)) == [2, 1, 3])
        // The limit counts scalars (Rust chars), not Swift Characters: "a" + U+20DD is one
        // grapheme but two scalars.
        let marked50 = String(repeating: "a\u{20DD}", count: 50)
        #expect(t.encode(marked50) == [2, 14, 29] + [Int32](repeating: 0, count: 49).flatMap { _ in [15, 29] } + [3])
        #expect(t.encode(marked50 + "a\u{20DD}") == [2, 1, 3])
    }

    @Test func accentsStrippedAndLowercasedOnlyWhenUncased() throws {
        #expect(try tiny().encode("CAFÉ Café cafe\u{301}") == [2, 13, 13, 13, 3])
        #expect(try tiny(lowercase: false).encode("CAFÉ Café cafe") == [2, 1, 1, 13, 3])
    }

    @Test func cjkIdeographsAreSeparateWords() throws {
        // Two words "中", not "中" + "##中" (there is no "##中").
        #expect(try tiny().encode("中中") == [2, 17, 17, 3])
    }

    @Test func punctuationSplitsWords() throws {
        #expect(try tiny().encode("don't") == [2, 23, 21, 22, 3])
        #expect(try tiny().encode("hello,world!") == [2, 8, 11, 9, 10, 3])
    }

    @Test func controlCharactersVanishAndWhitespaceSeparates() throws {
        // NUL, U+FFFD, BEL, zero-width space (Cf) vanish inside a word; tab, NBSP, U+3000 separate.
        #expect(try tiny().encode("hel\u{0}l\u{FFFD}o\u{7} wor\u{200B}ld") == [2, 8, 9, 3])
        #expect(try tiny().encode("hello\tworld\u{A0}hello\u{3000}world") == [2, 8, 9, 8, 9, 3])
        #expect(try tiny().encode("") == [2, 3])
        #expect(try tiny().encode(" \t\r\n ") == [2, 3])
    }

    @Test func sigmaLowercasesScalarByScalarWithoutFinalForm() throws {
        // `tokenizers` lowercases each scalar on its own: "ΣΣ" is "σσ" (Python's lower() gives "σς").
        #expect(try tiny().encode("ΣΣ") == [2, 18, 20, 3])
        #expect(try tiny().encode("Σ") == [2, 18, 3])
        // A ς in the text stays ς.
        #expect(try tiny().encode("σς") == [2, 18, 19, 3])
    }

    @Test func lowercaseMayAddScalars() throws {
        // "İ" lowercases to "i" + U+0307, and stripping accents removes the U+0307 again.
        #expect(try tiny().encode("İ") == [2, 24, 3])
        // Without accent stripping the dot stays: "i" + "##̇".
        #expect(BertTokenizer(vocabulary: try Vocabulary(tokens: tinyTokens), lowercase: true, stripAccents: false).encode("İ") == [2, 24, 25, 3])
    }

    @Test func specialTokenTextInInputMapsToSpecialIds() throws {
        // Literal "[CLS]" is matched case-sensitively in the raw text, even glued to letters;
        // "[cls]" is ordinary text ([, cls -> [UNK], ]), and "[" is not in this vocab either.
        #expect(try tiny().encode("a[SEP]a [MASK]") == [2, 14, 3, 14, 4, 3])
        #expect(try tiny().encode("[cls]") == [2, 1, 1, 1, 3])
        // Only the raw text counts: "[CLŚ]" is "[CLS]" after stripping accents, but ordinary text
        // ([, CLS, ] -> [UNK] each), as in `tokenizers` with BertNormalizer(lowercase=False,
        // strip_accents=True); the Python tokenizer's never_split made it [CLS].
        let casedStrip = BertTokenizer(vocabulary: try Vocabulary(tokens: tinyTokens), lowercase: false, stripAccents: true)
        #expect(casedStrip.encode("a [CL\u{15A}] a") == [2, 14, 1, 1, 1, 14, 3])
    }

    @Test func truncationKeepsFirstPiecesAndBothSpecials() throws {
        let t = try tiny()
        #expect(t.encode("unaffable hello", maxLength: 4) == [2, 5, 6, 3])
        #expect(t.encode("unaffable hello", maxLength: 2) == [2, 3])
        #expect(t.encode("unaffable hello", maxLength: 6) == [2, 5, 6, 7, 8, 3])
        #expect(t.encode("unaffable hello", maxLength: 100) == [2, 5, 6, 7, 8, 3])
    }

    @Test func tokenWithSpaceInVocabIsNeverProduced() throws {
        // "hello world" (id 28) is a vocab line but words never contain spaces.
        #expect(try tiny().encode("hello world") == [2, 8, 9, 3])
    }

    @Test func tokensAndDecode() throws {
        let t = try tiny()
        #expect(t.tokens("Unaffable hello, worlds!") == ["un", "##aff", "##able", "hello", ",", "world", "##s", "!"])
        #expect(t.decode([2, 5, 6, 7, 8, 11, 9, 12, 10, 3]) == "[CLS] unaffable hello, worlds! [SEP]")
        // The WordPiece decoder cleans up each token on its own, so " ' " never meets " t".
        #expect(t.decode([23, 21, 22]) == "don ' t")
        // Ids without a token are skipped; "##" stays on the first token only.
        #expect(t.decode([999]) == "")
        #expect(t.decode([12, 999, 12]) == "##ss")
    }

    @Test func vocabularyFileParsingMatchesPythonReadlines() throws {
        // \r\n, \r and \n all end lines; trailing spaces stay; a duplicate's later id wins.
        let path = TestScratch.path("text-vocab.txt")
        let text = "[PAD]\r\n[UNK]\r[CLS]\n[SEP]\n[MASK]\nab \nab\n\nab"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let v = try Vocabulary(contentsOf: path)
        #expect(v.count == 9)
        #expect([v.padId, v.unkId, v.clsId, v.sepId, v.maskId] == [0, 1, 2, 3, 4])
        #expect(v.id(for: "ab ") == 5)
        #expect(v.id(for: "ab") == 8)
        #expect(v.id(for: "") == 7)
        #expect(v.token(for: 6) == "[UNK]")  // shadowed by the later "ab"
        #expect(v.sha256 == SHA256.hex(of: Array(text.utf8)))
    }

    @Test func vocabularyKeysAreScalarsNotCanonicalEquivalents() throws {
        // Swift's String == treats "é" and "e\u{301}" as equal; Python does not, and neither may we.
        let v = try Vocabulary(tokens: tinyTokens + ["é"])
        #expect(v.id(for: "é") == 30)
        #expect(v.id(for: "e\u{301}") == nil)
    }

    @Test func missingSpecialTokenIsAClearError() {
        #expect(throws: TxfError.self) { try Vocabulary(tokens: ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]) }
    }
}
