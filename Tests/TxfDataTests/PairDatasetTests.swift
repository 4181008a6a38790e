import Foundation
import Testing
import TxfCore
import TxfData
import TxfText

/// `txf prepare --text-pair-column`: `[CLS] a [SEP] b [SEP]` rows, `/pair_starts`, token types.
@Suite("sentence pairs in datasets")
struct PairDatasetTests {
    let tsv = "sentence1\tsentence2\tlabel\nA fine film!\tthe films\t1\ndull\tZebra , dull movie\t0\n"

    func prepare(_ dir: TemporaryDirectory, _ name: String, _ text: String, maxLength: Int = 128,
                 pair: String? = "sentence2") throws -> TokenDataset {
        let options = PrepareOptions(input: dir.write(name, text), vocab: dir.write("vocab.txt", tinyVocab), output: dir.file("out.h5"),
                                     columns: ColumnSelection(text: "sentence1", label: "label", pair: pair), maxLength: maxLength)
        _ = try prepareDataset(options)
        return try TokenDataset(path: dir.file("out.h5"))
    }

    @Test("TSV, CSV and JSONL pairs give [CLS] a [SEP] b [SEP], pair starts and token types")
    func pairRows() throws {
        let dir = TemporaryDirectory()
        let csv = "sentence1,sentence2,label\n\"A fine film!\",the films,1\ndull,\"Zebra , dull movie\",0\n"
        let jsonl = "{\"sentence1\": \"A fine film!\", \"sentence2\": \"the films\", \"label\": 1}\n"
            + "{\"sentence1\": \"dull\", \"sentence2\": \"Zebra , dull movie\", \"label\": 0}\n"
        for (name, text) in [("p.tsv", tsv), ("p.csv", csv), ("p.jsonl", jsonl)] {
            let data = try prepare(dir, name, text)
            #expect(data.isPairs)
            #expect(try data.tokens(ofRow: 0) == [2, 5, 6, 7, 10, 3, 11, 7, 12, 3], "\(name)")
            #expect(try data.tokens(ofRow: 1) == [2, 8, 3, 1, 9, 8, 13, 3], "\(name)")
            #expect(data.pairStarts == [6, 3])
            #expect(data.labels == [1, 0])
            let batch = try data.readRows([1, 0])
            #expect(batch.seqLen == 10)
            #expect(batch.tokenTypes == [0, 0, 0, 1, 1, 1, 1, 1, 0, 0,
                                         0, 0, 0, 0, 0, 0, 1, 1, 1, 1])
        }
    }

    @Test("pairs are cut longest side first to --max-length and counted as truncated")
    func truncation() throws {
        let dir = TemporaryDirectory()
        let options = PrepareOptions(input: dir.write("p.tsv", tsv), vocab: dir.write("vocab.txt", tinyVocab), output: dir.file("out.h5"),
                                     columns: ColumnSelection(text: "sentence1", label: "label", pair: "sentence2"), maxLength: 7)
        let summary = try prepareDataset(options)
        #expect(summary.info.truncatedRows == 2)
        let data = try TokenDataset(path: dir.file("out.h5"))
        // a 4 pieces, b 3, budget 4: 2 + 2. a 1, b 4: b cut to 3.
        #expect(try data.tokens(ofRow: 0) == [2, 5, 6, 3, 11, 7, 3])
        #expect(try data.tokens(ofRow: 1) == [2, 8, 3, 1, 9, 8, 3])
        #expect(data.pairStarts == [4, 3])
        #expect(throws: TxfError.self) { try prepare(dir, "q.tsv", tsv, maxLength: 2) }
    }

    @Test("data_sha256 covers /pair_starts after the three others; single sentences keep their hash")
    func hashCoversPairStarts() throws {
        let dir = TemporaryDirectory()
        let data = try prepare(dir, "p.tsv", tsv)
        func digest<T>(_ values: [T]) -> [UInt8] { values.withUnsafeBytes { var h = SHA256(); h.update($0); return h.finalize() } }
        var tokens: [Int32] = []
        for row in 0 ..< data.rowCount { tokens += try data.tokens(ofRow: row) }
        var outer = SHA256()
        for part in [digest(tokens), digest(data.offsets), digest(data.labels)] { outer.update(part) }
        outer.update(digest(data.pairStarts!))
        #expect(data.info.dataSHA256 == outer.finalizeHex())

        let other = TemporaryDirectory()
        let plain = try prepare(other, "s.tsv", "sentence1\tlabel\nA fine film!\t1\n", pair: nil)
        #expect(!plain.isPairs && plain.pairStarts == nil)
        #expect(try plain.readRows([0]).tokenTypes == nil)
        var three = SHA256()
        for part in [digest(try plain.tokens(ofRow: 0)), digest(plain.offsets), digest(plain.labels)] { three.update(part) }
        #expect(plain.info.dataSHA256 == three.finalizeHex())
    }

    @Test("a pair start outside [CLS] a [SEP] | b [SEP] is refused at open; a missing pair column is named")
    func damagedAndMissing() throws {
        let dir = TemporaryDirectory()
        let vocabulary = try Vocabulary(tokens: tinyVocab.split(separator: "\n").map(String.init))
        let writer = try TokenDatasetWriter(path: dir.file("bad.h5"), pairs: true)
        try writer.append([2, 5, 3, 6, 3], label: 0, pairStart: 1)
        try writer.finish(info: DatasetInfo(tokenizer: TokenizerInfo(vocabulary: vocabulary, lowercase: true, maxLength: 8),
                                            labelNames: ["0", "1"], sourcePath: "x", sourceSHA256: "", rowCount: 0, tokenCount: 0,
                                            truncatedRows: 0, skippedRows: 0),
                          vocabBytes: Array(tinyVocab.utf8))
        #expect(throws: TxfError.self) { try TokenDataset(path: dir.file("bad.h5")) }
        do {
            _ = try prepare(dir, "p.tsv", tsv, pair: "question2")
            Issue.record("expected an error")
        } catch let error as TxfError {
            #expect(error.message.contains("no text pair column 'question2'") && error.message.contains("--text-pair-column"))
        }
    }
}
