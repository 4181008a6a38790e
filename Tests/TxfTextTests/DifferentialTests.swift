import Foundation
import Testing
import TxfText

/// Compares this tokenizer with Hugging Face's Python BertTokenizer, run once per test as a
/// subprocess, on SST-2 sentences and on seeded random adversarial text. Each test skips unless
/// its inputs (SST-2, the MiniLM vocab, python3) are present, and passes with a note when
/// transformers cannot be imported.
///
/// SST-2: every 17th training sentence plus all of dev (~4,800 lines, a few seconds);
/// TXF_SST2_FULL_DIFF=1 compares all 68,221 (HF takes ~15 s for them).
@Suite struct DifferentialTests {
    @Test(.enabled(if: TestPaths.sst2 != nil && TestPaths.minilmVocab != nil && findExecutable("python3") != nil,
                   "needs SST-2 ($TXF_SST2_DIR or ../shared/datasets/sst2), the MiniLM vocab and python3"))
    func sst2SentencesGiveHuggingFaceIds() throws {
        let dir = TestPaths.sst2!
        let full = ProcessInfo.processInfo.environment["TXF_SST2_FULL_DIFF"] == "1"
        let train = try sentences(dir.appendingPathComponent("train.tsv"))
        let dev = try sentences(dir.appendingPathComponent("dev.tsv"))
        let sample = (full ? train : stride(from: 0, to: train.count, by: 17).map { train[$0] }) + dev
        #expect(sample.count > 1000)

        let linesPath = NSTemporaryDirectory() + "txf-sst2-diff-\(UUID().uuidString).txt"
        try (sample.joined(separator: "\n") + "\n").write(toFile: linesPath, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: linesPath) }
        let script = TestPaths.fixtures.appendingPathComponent("hf_encode.py").path
        let vocabPath = TestPaths.minilmVocab!
        let (status, stdout) = try runProcess(findExecutable("python3")!, [script, vocabPath, linesPath])
        if status == 3 {
            print("DifferentialTests: transformers is not importable; skipped the comparison")
            return
        }
        try #require(status == 0, "hf_encode.py failed with status \(status)")
        let output = String(decoding: stdout, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        let version = try #require(UnicodeVersion(String(output[0])))
        let expected = output.dropFirst().prefix(sample.count)
        try #require(expected.count == sample.count)

        let tokenizer = BertTokenizer(vocabulary: try Vocabulary(contentsOf: vocabPath), lowercase: true, unicodeVersion: version)
        var mismatches = 0
        for (text, line) in zip(sample, expected) {
            let ids = tokenizer.encode(text).map(String.init).joined(separator: " ")
            if ids != line {
                mismatches += 1
                if mismatches <= 5 { Issue.record("\(text.debugDescription): txf \(ids) vs HF \(line)") }
            }
        }
        print("DifferentialTests: \(sample.count) SST-2 sentences, \(mismatches) mismatches")
        #expect(mismatches == 0)
    }

    /// Seeded random adversarial texts (see Fixtures/hf_fuzz.py), uncased and cased.
    @Test(.enabled(if: TestPaths.minilmVocab != nil && findExecutable("python3") != nil,
                   "needs the MiniLM vocab and python3"))
    func randomAdversarialTextsGiveHuggingFaceIds() throws {
        struct Fuzz: Decodable {
            struct Case: Decodable { let text: String; let uncased: [Int32]; let cased: [Int32] }
            let python_unicode: String
            let cases: [Case]
        }
        let script = TestPaths.fixtures.appendingPathComponent("hf_fuzz.py").path
        let vocabPath = TestPaths.minilmVocab!
        let (status, stdout) = try runProcess(findExecutable("python3")!, [script, vocabPath, "2024", "2000"])
        if status == 3 {
            print("DifferentialTests: transformers is not importable; skipped the comparison")
            return
        }
        try #require(status == 0, "hf_fuzz.py failed with status \(status)")
        let fuzz = try JSONDecoder().decode(Fuzz.self, from: stdout)
        let version = try #require(UnicodeVersion(fuzz.python_unicode))
        let vocabulary = try Vocabulary(contentsOf: vocabPath)
        let uncased = BertTokenizer(vocabulary: vocabulary, lowercase: true, unicodeVersion: version)
        let cased = BertTokenizer(vocabulary: vocabulary, lowercase: false, unicodeVersion: version)
        var mismatches = 0
        for c in fuzz.cases {
            for (tokenizer, expected) in [(uncased, c.uncased), (cased, c.cased)] where tokenizer.encode(c.text) != expected {
                mismatches += 1
                if mismatches <= 5 { Issue.record("\(c.text.debugDescription): txf \(tokenizer.encode(c.text)) vs HF \(expected)") }
            }
        }
        print("DifferentialTests: \(fuzz.cases.count) random texts × 2 casings, \(mismatches) mismatches")
        #expect(fuzz.cases.count == 2000)
        #expect(mismatches == 0)
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
