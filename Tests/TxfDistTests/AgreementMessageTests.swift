import Testing
@testable import TxfDist

@Suite struct AgreementMessageTests {
    @Test func fnv1a64MatchesPublishedVectors() {
        // Test vectors from the FNV reference (Fowler, Noll, Vo): FNV-1a 64-bit.
        #expect(fnv1a64([]) == 0xcbf2_9ce4_8422_2325)
        #expect(fnv1a64(Array("a".utf8)) == 0xaf63_dc4c_8601_ec8c)
        #expect(fnv1a64(Array("foobar".utf8)) == 0x8594_4171_f739_67e8)
    }

    @Test func shortValuesAreQuotedAndRanksGrouped() {
        let values: [[UInt8]] = ["alpha", "beta", "alpha", "gamma"].map { Array($0.utf8) }
        let message = Agreement.mismatchMessage(
            what: "dataset fingerprint", hashes: values.map(fnv1a64), lengths: values.map(\.count),
            values: values, isText: true)
        #expect(message == "ranks disagree on dataset fingerprint: ranks 0, 2 have \"alpha\", rank 1 has \"beta\", rank 3 has \"gamma\"")
    }

    @Test func longValuesShowAnExcerptAtTheFirstDifference() {
        let prefix = String(repeating: "p", count: 100)
        let values: [[UInt8]] = ["\(prefix)\n\"lr\": 0.001, \"steps\": 10}", "\(prefix)\n\"lr\": 0.002, \"steps\": 10}"]
            .map { Array($0.utf8) }
        let message = Agreement.mismatchMessage(
            what: "config", hashes: values.map(fnv1a64), lengths: values.map(\.count),
            values: values, isText: true)
        // The first difference is at byte 100 + 1 + 10 = 111 ("0.00" is shared); the excerpt
        // starts 24 bytes before it (13 p's, the newline, 10 bytes) and runs to the end.
        let context = String(repeating: "p", count: 13)
        #expect(message == "ranks disagree on config: rank 0 has `…\(context)\\n\"lr\": 0.001, \"steps\": 10}` at byte 111 of 126, rank 1 has `…\(context)\\n\"lr\": 0.002, \"steps\": 10}` at byte 111 of 126")
    }

    @Test func bytesAndUngatheredDifferencesShowHashAndLength() {
        let values: [[UInt8]] = [[1, 2, 3], [1, 2, 4]]
        let message = Agreement.mismatchMessage(
            what: "weights", hashes: [0x1a2b, 0xffee_ddcc_bbaa_0099], lengths: [3, 3], values: values, isText: false)
        #expect(message == "ranks disagree on weights: rank 0 has hash 0000000000001a2b, 3 bytes, rank 1 has hash ffeeddccbbaa0099, 3 bytes")
        // Text whose gathered prefixes agree (difference past the 64 KiB shown): hash only.
        let same = [UInt8](repeating: 65, count: 100)
        let text = Agreement.mismatchMessage(
            what: "vocab", hashes: [1, 2], lengths: [200_000, 200_000], values: [same, same], isText: true)
        #expect(text == "ranks disagree on vocab: rank 0 has hash 0000000000000001, 200000 bytes, rank 1 has hash 0000000000000002, 200000 bytes")
    }

    @Test func controlCharactersStayOnOneLine() {
        #expect(Agreement.visible("a\tb\nc\u{1}") == "a\\tb\\nc\\u{1}")
    }
}
