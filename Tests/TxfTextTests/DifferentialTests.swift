import Foundation
import TxfTestSupport
import Testing
import TxfText

/// Compares this tokenizer with the one deployments run: Hugging Face's Rust `tokenizers`,
/// `Tokenizer.from_file(tokenizer.json)` of all-MiniLM-L6-v2 (what `AutoTokenizer` loads), run
/// once per test as a subprocess, on SST-2 sentences, on seeded random adversarial text and on
/// every scalar. The tests skip unless their inputs are present: the MiniLM vocab.txt and
/// tokenizer.json (`launch/fetch-minilm.sh`), python3 with `tokenizers`, and for the first SST-2.
///
/// SST-2: every 17th training sentence plus all of dev (~4,800 lines, a few seconds);
/// TXF_SST2_FULL_DIFF=1 compares all 68,221. How Hugging Face's Python tokenizer differs from
/// this reference on the same corpora: Fixtures/legacy_vs_fast.py.
@Suite(.enabled(if: TestPaths.minilmVocab != nil && TestPaths.minilmTokenizerJSON != nil,
                "needs MiniLM's vocab.txt and tokenizer.json in $TXF_MINILM_DIR or ~/.cache/txf/minilm (run launch/fetch-minilm.sh)"),
       .enabled(if: TestPaths.pythonWithTokenizers != nil, "needs python3 with tokenizers (pip install tokenizers)"))
struct DifferentialTests {
    let vocabulary: Vocabulary
    let tokenizerJSON = TestPaths.minilmTokenizerJSON!
    let python = TestPaths.pythonWithTokenizers!

    init() throws {
        vocabulary = try Vocabulary(contentsOf: TestPaths.minilmVocab!)
    }

    /// Runs Fixtures/`script` with `arguments` and returns its standard output.
    private func reference(_ script: String, _ arguments: [String]) throws -> Data {
        let path = TestPaths.fixtures.appendingPathComponent(script).path
        let (status, stdout) = try runProcess(python, [path] + arguments)
        try #require(status == 0, "\(script) failed with status \(status)")
        return stdout
    }

    @Test(.enabled(if: TestPaths.sst2 != nil, "needs SST-2 ($TXF_SST2_DIR or ../shared/datasets/sst2)"))
    func sst2SentencesGiveTheFastTokenizersIds() throws {
        let dir = TestPaths.sst2!
        let full = ProcessInfo.processInfo.environment["TXF_SST2_FULL_DIFF"] == "1"
        let train = try sentences(dir.appendingPathComponent("train.tsv"))
        let dev = try sentences(dir.appendingPathComponent("dev.tsv"))
        let sample = (full ? train : stride(from: 0, to: train.count, by: 17).map { train[$0] }) + dev
        #expect(sample.count > 1000)

        let linesPath = TestScratch.path("sst2-diff.txt")
        try (sample.joined(separator: "\n") + "\n").write(toFile: linesPath, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: linesPath) }
        let stdout = try reference("hf_encode.py", [tokenizerJSON, linesPath])
        let expected = String(decoding: stdout, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .prefix(sample.count)
        try #require(expected.count == sample.count)

        let tokenizer = BertTokenizer(vocabulary: vocabulary, lowercase: true)
        var mismatches = 0
        for (text, line) in zip(sample, expected) {
            let ids = tokenizer.encode(text).map(String.init).joined(separator: " ")
            if ids != line {
                mismatches += 1
                if mismatches <= 5 { Issue.record("\(text.debugDescription): txf \(ids) vs tokenizers \(line)") }
            }
        }
        print("DifferentialTests: \(sample.count) SST-2 sentences, \(mismatches) mismatches")
        #expect(mismatches == 0)
    }

    /// Seeded random adversarial texts (see Fixtures/hf_fuzz.py), uncased and cased, and the
    /// uncased ids decoded.
    @Test func randomAdversarialTextsGiveTheFastTokenizersIds() throws {
        struct Fuzz: Decodable {
            struct Case: Decodable { let text: String; let uncased: [Int32]; let cased: [Int32]; let decoded: String }
            let cases: [Case]
        }
        let fuzz = try JSONDecoder().decode(Fuzz.self, from: try reference("hf_fuzz.py", [tokenizerJSON, "2024", "2000"]))
        let uncased = BertTokenizer(vocabulary: vocabulary, lowercase: true)
        let cased = BertTokenizer(vocabulary: vocabulary, lowercase: false)
        var mismatches = 0
        for c in fuzz.cases {
            for (tokenizer, expected) in [(uncased, c.uncased), (cased, c.cased)] where tokenizer.encode(c.text) != expected {
                mismatches += 1
                if mismatches <= 5 { Issue.record("\(c.text.debugDescription): txf \(tokenizer.encode(c.text)) vs tokenizers \(expected)") }
            }
            let decoded = uncased.decode(c.uncased)
            if !decoded.unicodeScalars.elementsEqual(c.decoded.unicodeScalars) {
                mismatches += 1
                if mismatches <= 5 { Issue.record("decode \(c.uncased): txf \(decoded.debugDescription) vs tokenizers \(c.decoded.debugDescription)") }
            }
        }
        print("DifferentialTests: \(fuzz.cases.count) random texts × (2 casings + decode), \(mismatches) mismatches")
        #expect(fuzz.cases.count == 2000)
        #expect(mismatches == 0)
    }

    /// Each scalar c of ~141,000 (see Fixtures/hf_scalars.py), as "a" + c + "b": the basic tokens
    /// equal the pre-tokens of `tokenizers`' normalizer and pre-tokenizer, uncased and cased. This
    /// pins every per-scalar table: control, whitespace, punctuation, CJK, NFD, Mn, lowercase.
    @Test func everyScalarNormalizesAsTheFastTokenizerDoes() throws {
        struct Scalars: Decodable {
            let scalars: [UInt32]
            let uncased: [String: [[UInt32]]]
            let cased: [String: [[UInt32]]]
        }
        let table = try JSONDecoder().decode(Scalars.self, from: try reference("hf_scalars.py", [tokenizerJSON]))
        #expect(table.scalars.count > 140_000)
        for (lowercase, expected) in [(true, table.uncased), (false, table.cased)] {
            let basic = BasicTokenizer(lowercase: lowercase)
            var mismatches = 0
            for value in table.scalars {
                let probe: [Unicode.Scalar] = ["a", Unicode.Scalar(value)!, "b"]
                let want = expected[String(value)] ?? [probe.map(\.value)]
                let got = basic.words(probe).flatMap { basic.pieces(ofWord: $0) }.map { $0.map(\.value) }
                if got != want {
                    mismatches += 1
                    if mismatches <= 5 {
                        Issue.record("U+\(String(value, radix: 16, uppercase: true)) lowercase=\(lowercase): txf \(got) vs tokenizers \(want)")
                    }
                }
            }
            print("DifferentialTests: \(table.scalars.count) scalars, lowercase=\(lowercase), \(mismatches) mismatches")
            #expect(mismatches == 0)
        }
    }

    /// The `sentence` column of a headed TSV.
    private func sentences(_ url: URL) throws -> [String] {
        let text = try String(contentsOf: url, encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        let header = lines.removeFirst().split(separator: "\t", omittingEmptySubsequences: false)
        let column = try #require(header.firstIndex(of: "sentence"))
        return lines.map { String($0.split(separator: "\t", omittingEmptySubsequences: false)[column]) }
    }
}
