import TxfCore
import Foundation
import Testing
@testable import TxfText

private let specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

private func build(_ texts: [String], size: Int, lowercase: Bool = true) throws -> [String] {
    var builder = VocabBuilder(size: size, lowercase: lowercase)
    for t in texts { builder.add(t) }
    return try builder.build()
}

@Suite struct VocabBuilderTests {
    @Test func handComputedMerges() throws {
        // Words: "ab" ×3, "abc" ×1. Alphabet: a (4); ##b (4), ##c (1).
        // Pairs: (a, ##b) = 4, (##b, ##c) = 1 -> merge "ab"; then (ab, ##c) = 1 -> "abc"; then none.
        #expect(try build(["ab ab", "ab abc"], size: 9) == specials + ["a", "##b", "##c", "ab"])
        #expect(try build(["ab ab", "ab abc"], size: 100) == specials + ["a", "##b", "##c", "ab", "abc"])
    }

    @Test func tiesBreakByTokenTextSoOutputIsDeterministic() throws {
        // (x, ##y) and (z, ##w) both occur once: "x" sorts before "z", so "xy" is merged first.
        // Alphabet ties sort by scalar value: x before z, ##w before ##y.
        #expect(try build(["zw xy"], size: 10) == specials + ["x", "z", "##w", "##y", "xy"])
        #expect(try build(["xy zw"], size: 10) == build(["zw xy"], size: 10))
    }

    @Test func alphabetOrderedByFrequency() throws {
        // "b" starts 2 words, "a" one; "##a" follows 3 times, "##b" never.
        #expect(try build(["ba ba aa"], size: 8) == specials + ["b", "a", "##a"])
    }

    @Test func wordsComeFromTheTokenizersOwnFrontEnd() throws {
        // Lowercased, accents stripped, punctuation split, special-token text not counted:
        // words ea ×2, "," and "!" once; initial e (2) then "!" < "," by scalar value.
        let vocab = try build(["Éa, [CLS]éa!"], size: 100)
        #expect(vocab == specials + ["e", "!", ",", "##a", "ea"])
    }

    @Test func tooSmallSizeIsAClearError() {
        #expect(throws: TxfError.self) { try build(["abc"], size: 7) }
    }

    @Test func everyTrainingWordTokenizesWithoutUnknown() throws {
        let corpus = [
            "The quick brown fox jumps over the lazy dog.",
            "A gorgeous, witty, seductive movie; it isn't a hoot -- it's sublime!",
            "Naïve café owners in São Paulo and Zürich serve crème brûlée.",
            "北京欢迎你 한국어 텍스트 ΣΟΦΟΣ émigré 😀👍",
            "unbelievably unbelievable believers believe in disbelief",
            "hyper-realistic, over-the-top, never-ending 2,000,000 numbers 3.14",
        ]
        for size in [90, 150, 400] {
            let tokens = try build(corpus, size: size)
            #expect(tokens.count <= size)
            #expect(Array(tokens.prefix(5)) == specials)
            #expect(Set(tokens).count == tokens.count, "duplicate tokens at size \(size)")
            let tokenizer = BertTokenizer(vocabulary: try Vocabulary(tokens: tokens), lowercase: true)
            for text in corpus {
                let ids = tokenizer.encode(text)
                #expect(!ids.contains(1), "size \(size): [UNK] in \(text)")
                // Decoding the word pieces gives back the normalized words.
                let words = tokenizer.basic.tokenize(text).joined(separator: " ")
                #expect(tokenizer.decode(Array(ids.dropFirst().dropLast()))
                        .replacingOccurrences(of: " ", with: "") == words.replacingOccurrences(of: " ", with: ""))
            }
        }
        // With room for everything, every word becomes a single token.
        let all = try build(corpus, size: 10_000)
        let tokenizer = BertTokenizer(vocabulary: try Vocabulary(tokens: all), lowercase: true)
        for word in tokenizer.basic.tokenize(corpus.joined(separator: " ")) {
            #expect(tokenizer.pieceIds(word).count == 1, "\(word) is not a single token")
        }
    }
}
