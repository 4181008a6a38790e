import Foundation
import Testing
import TxfCore
import TxfData
import TxfHDF5
import TxfText

/// A tiny BERT vocab: ids are line numbers.
/// [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4 a=5 fine=6 film=7 dull=8 ,=9 !=10 the=11 ##s=12 movie=13
let tinyVocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "fine", "film", "dull", ",", "!", "the", "##s", "movie"]
    .joined(separator: "\n") + "\n"

@Suite("txf prepare")
struct PrepareTests {
    /// Runs prepare on `input` (written into `dir`) with the tiny vocab.
    @discardableResult
    func prepare(_ dir: TemporaryDirectory, _ name: String, _ text: String, output: String = "out.h5",
                 configure: (inout PrepareOptions) -> Void = { _ in }) throws -> PrepareSummary {
        let vocab = dir.write("vocab.txt", tinyVocab)
        var options = PrepareOptions(input: dir.write(name, text), vocab: vocab, output: dir.file(output))
        configure(&options)
        return try prepareDataset(options)
    }

    @Test("TSV rows become hand-computed ids equal to the tokenizer's, with labels and attributes")
    func tsvRoundTrip() throws {
        let dir = TemporaryDirectory()
        let input = "sentence\tlabel\nA fine film!\t1\nthe films\t0\nZebra , dull\t1\n"
        let summary = try prepare(dir, "train.tsv", input)
        #expect(summary.labelCounts == [1, 2])
        let data = try TokenDataset(path: dir.file("out.h5"))
        #expect(data.rowCount == 3)
        let expected: [[Int32]] = [[2, 5, 6, 7, 10, 3], [2, 11, 7, 12, 3], [2, 1, 9, 8, 3]]
        let tokenizer = BertTokenizer(vocabulary: try Vocabulary(contentsOf: dir.file("vocab.txt")), lowercase: true)
        for (row, text) in ["A fine film!", "the films", "Zebra , dull"].enumerated() {
            #expect(try data.tokens(ofRow: row) == expected[row])
            #expect(tokenizer.encode(text, maxLength: 128) == expected[row])
        }
        #expect(data.labels == [1, 0, 1])
        #expect(data.offsets == [0, 6, 11, 16])
        let info = data.info
        #expect(info.labelNames == ["0", "1"])
        #expect(info.tokenCount == 16)
        #expect((info.tokenizer.padId, info.tokenizer.unkId, info.tokenizer.clsId, info.tokenizer.sepId) == (0, 1, 2, 3))
        #expect(info.tokenizer.vocabSize == 14 && info.tokenizer.lowercase && info.tokenizer.maxLength == 128)
        #expect(info.tokenizer.vocabSHA256 == SHA256.hex(of: Array(tinyVocab.utf8)))
        #expect(info.sourceSHA256 == SHA256.hex(of: Array(input.utf8)))
        #expect(info.sourcePath == dir.file("train.tsv"))
        #expect(try data.vocabularyBytes() == Array(tinyVocab.utf8))
        #expect(try data.vocabulary().sha256 == info.tokenizer.vocabSHA256)
        #expect(dir.listing() == ["out.h5", "train.tsv", "vocab.txt"])
    }

    @Test("CSV and JSONL inputs with other column names and explicit label names")
    func csvAndJSONL() throws {
        let dir = TemporaryDirectory()
        try prepare(dir, "r.csv", "stars,review\n1,\"a film, fine\"\n0,\"dull\nmovie\"\n", output: "csv.h5") {
            $0.columns = ColumnSelection(text: "review", label: "stars")
            $0.labels = LabelRule(names: ["negative", "positive"])
        }
        let csv = try TokenDataset(path: dir.file("csv.h5"))
        #expect(try csv.readRows([0, 1]).tokens == [2, 5, 7, 9, 6, 3, 2, 8, 13, 3, 0, 0])
        #expect(csv.labelNames == ["negative", "positive"])
        try prepare(dir, "d.jsonl", "{\"text\": \"the movie\", \"y\": 2}\n{\"text\": \"a\", \"y\": \"0\"}\n", output: "j.h5") {
            $0.columns = ColumnSelection(text: "text", label: "y")
        }
        let jsonl = try TokenDataset(path: dir.file("j.h5"))
        #expect(try jsonl.tokens(ofRow: 0) == [2, 11, 13, 3])
        #expect(jsonl.labels == [2, 0])
        #expect(jsonl.labelNames == ["0", "1", "2"])
    }

    @Test("text labels without names are collected and stored sorted: train and dev with the same set get the same ids")
    func textLabelsFromData() throws {
        let dir = TemporaryDirectory()
        let summary = try prepare(dir, "train.tsv", "sentence\tlabel\na\tpositive\nfilm\tnegative\ndull\tpositive\nthe\tneutral\n",
                                  output: "train.h5")
        #expect(summary.labelNamesFromData)
        #expect(summary.labelCounts == [1, 1, 2])
        let train = try TokenDataset(path: dir.file("train.h5"))
        #expect(train.labelNames == ["negative", "neutral", "positive"])
        #expect(train.labels == [2, 0, 2, 1])
        try prepare(dir, "dev.tsv", "sentence\tlabel\nthe\tneutral\nfilm\tpositive\na\tnegative\n", output: "dev.h5")
        let dev = try TokenDataset(path: dir.file("dev.h5"))
        #expect(dev.labelNames == train.labelNames)
        #expect(dev.labels == [1, 2, 0])
        // Byte order: capitals before lower case, "é" (two UTF-8 bytes from 0xC3) after "z".
        try prepare(dir, "o.jsonl", "{\"sentence\": \"a\", \"label\": \"zeta\"}\n{\"sentence\": \"a\", \"label\": \"été\"}\n"
                    + "{\"sentence\": \"a\", \"label\": \"Zeta\"}\n", output: "o.h5")
        let ordered = try TokenDataset(path: dir.file("o.h5"))
        #expect(ordered.labelNames == ["Zeta", "zeta", "été"])
        #expect(ordered.labels == [1, 2, 0])
        let integers = try prepare(dir, "i.tsv", "sentence\tlabel\na\t1\n", output: "i.h5")
        #expect(!integers.labelNamesFromData)
    }

    @Test("with --label-names a label equal to a name is its index, else an integer is the id; names that are numbers win")
    func labelNamesMatch() throws {
        let dir = TemporaryDirectory()
        try prepare(dir, "stars.csv", "review,stars\na,1\nfilm, 5 \ndull,3\n", output: "stars.h5") {
            $0.columns = ColumnSelection(text: "review", label: "stars")
            $0.labels = LabelRule(names: ["1", "2", "3", "4", "5"])
        }
        let stars = try TokenDataset(path: dir.file("stars.h5"))
        #expect(stars.labels == [0, 4, 2])
        #expect(stars.labelNames == ["1", "2", "3", "4", "5"])
        try prepare(dir, "glue.tsv", "sentence\tlabel\na\tpositive\nfilm\t0\ndull\tnegative\nthe\t1\n", output: "glue.h5") {
            $0.labels = LabelRule(names: ["negative", "positive"])
        }
        #expect(try TokenDataset(path: dir.file("glue.h5")).labels == [1, 0, 0, 1])
        let path = dir.file("bad.tsv")
        #expect(throws: TxfError("\(path):2: label 'neutral' is neither one of --label-names (negative, positive) nor a class id 0..<2")) {
            try prepare(dir, "bad.tsv", "sentence\tlabel\na\tneutral\n") { $0.labels = LabelRule(names: ["negative", "positive"]) }
        }
    }

    @Test("rows longer than max length keep their first pieces and end with [SEP]")
    func truncation() throws {
        let dir = TemporaryDirectory()
        let summary = try prepare(dir, "t.tsv", "sentence\tlabel\nA fine film!\t1\na\t0\n") { $0.maxLength = 4 }
        #expect(summary.info.truncatedRows == 1)
        let data = try TokenDataset(path: dir.file("out.h5"))
        #expect(try data.tokens(ofRow: 0) == [2, 5, 6, 3])
        #expect(try data.tokens(ofRow: 1) == [2, 5, 3])
        let tokenizer = BertTokenizer(vocabulary: try Vocabulary(contentsOf: dir.file("vocab.txt")), lowercase: true)
        #expect(tokenizer.encode("A fine film!", maxLength: 4) == [2, 5, 6, 3])
    }

    @Test("a malformed row stops prepare with file:line and leaves no output or temporary file")
    func malformedRow() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("bad.tsv")
        #expect(throws: TxfError("\(path):3: expected 2 columns, found 3")) {
            try prepare(dir, "bad.tsv", "sentence\tlabel\na\t1\na\t1\textra\nfine\t0\n")
        }
        #expect(dir.listing() == ["bad.tsv", "vocab.txt"])
        #expect(throws: TxfError("\(path):3: label 'pos' is not an integer, but the labels before it are (line 2: '1'); give --label-names to map both")) {
            try prepare(dir, "bad.tsv", "sentence\tlabel\na\t1\na\tpos\n", output: "new/dirs/out.h5")
        }
        #expect(throws: TxfError("\(path):3: label 2 is not in 0..<2 (--label-names gives 2)")) {
            try prepare(dir, "bad.tsv", "sentence\tlabel\na\t1\nfilm\t2\n") { $0.labels = LabelRule(names: ["neg", "pos"]) }
        }
        #expect(dir.listing() == ["bad.tsv", "vocab.txt"])
    }

    @Test("missing output directories are created")
    func createsDirectories() throws {
        let dir = TemporaryDirectory()
        try prepare(dir, "t.tsv", "sentence\tlabel\na\t1\n", output: "data/sst2/train.h5")
        #expect(try TokenDataset(path: dir.file("data/sst2/train.h5")).rowCount == 1)
    }

    @Test("a failed run leaves an existing output untouched")
    func failureKeepsOldOutput() throws {
        let dir = TemporaryDirectory()
        try prepare(dir, "good.tsv", "sentence\tlabel\na\t1\n")
        let before = FileManager.default.contents(atPath: dir.file("out.h5"))
        #expect(throws: TxfError.self) { try prepare(dir, "bad.tsv", "sentence\tlabel\na\n") }
        #expect(FileManager.default.contents(atPath: dir.file("out.h5")) == before)
        #expect(dir.listing() == ["bad.tsv", "good.tsv", "out.h5", "vocab.txt"])
    }

    @Test("--skip-bad-rows skips, counts and reports bad rows")
    func skipBadRows() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("t.tsv")
        let summary = try prepare(dir, "t.tsv", "sentence\tlabel\na\t1\nx\ty\tz\nfilm\t0\ndull\tpos\n") { $0.skipBadRows = true }
        #expect(summary.info.skippedRows == 2)
        #expect(summary.skippedExamples == ["\(path):3: expected 2 columns, found 3", "\(path):5: label 'pos' is not an integer, but the labels before it are (line 2: '1'); give --label-names to map both"])
        let data = try TokenDataset(path: dir.file("out.h5"))
        #expect(data.rowCount == 2 && data.info.skippedRows == 2)
        #expect(try data.tokens(ofRow: 1) == [2, 7, 3])
    }

    @Test("unlabelled input stores -1 labels and no label names")
    func unlabelled() throws {
        let dir = TemporaryDirectory()
        try prepare(dir, "u.tsv", "sentence\nthe film\n") { $0.columns = ColumnSelection(label: nil) }
        let data = try TokenDataset(path: dir.file("out.h5"))
        #expect(data.labels == [-1] && data.labelNames == [])
    }

    @Test("an input without rows, an unknown extension, or a bad vocab are clear errors")
    func otherErrors() throws {
        let dir = TemporaryDirectory()
        let empty = dir.file("e.tsv")
        #expect(throws: TxfError("\(empty): nothing to prepare: it has no data rows")) { try prepare(dir, "e.tsv", "sentence\tlabel\n") }
        let odd = dir.file("x.txt")
        #expect(throws: TxfError("cannot tell the format of \(odd) from its extension; pass --format tsv, csv or jsonl")) {
            try prepare(dir, "x.txt", "sentence\tlabel\n")
        }
        let vocab = dir.write("novocab.txt", "a\nb\n")
        #expect(throws: TxfError.self) {
            _ = try prepareDataset(PrepareOptions(input: dir.write("g.tsv", "sentence\tlabel\na\t1\n"), vocab: vocab, output: dir.file("o.h5")))
        }
        #expect(!dir.listing().contains { $0.hasSuffix(".h5") || $0.contains(".tmp-") })
    }

    @Test("h5py reads the prepared file: attributes as fixed-length UTF-8, rows equal to Swift's")
    func h5pyReadback() throws {
        let dir = TemporaryDirectory()
        try prepare(dir, "t.tsv", "sentence\tlabel\nA fine film!\t1\nthe films\t0\n")
        let script = """
        import sys, h5py
        f = h5py.File(sys.argv[1], 'r')
        a = f.attrs
        assert a['txf_kind'].decode() == 'tokenized-dataset' and len(a['vocab_sha256'].decode()) == 64
        assert h5py.check_string_dtype(a.get_id('txf_kind').dtype).length == len('tokenized-dataset')
        assert int(a['schema_version']) == 2 and int(a['row_count']) == 2
        assert [s.decode() for s in a['label_names']] == ['0', '1']
        o = f['offsets'][:]
        rows = [f['tokens'][o[i]:o[i+1]].tolist() for i in range(2)]
        assert rows == [[2, 5, 6, 7, 10, 3], [2, 11, 7, 12, 3]], rows
        assert f['labels'][:].tolist() == [1, 0]
        assert f['vocab'][:].tobytes().decode().splitlines()[13] == 'movie'
        print('ok')
        """
        guard Python.has("h5py") else { return }
        let result = try Python.run(["-c", script, dir.file("out.h5")])
        #expect(result.status == 0, "\(result.output)")
    }
}

@Test("SST-2 dev prepares with the MiniLM vocab: 872 rows, GLUE's label balance, rows equal to the tokenizer",
      .enabled(if: TestPaths.sst2Dev != nil && TestPaths.minilmVocab != nil,
               Comment(rawValue: TestPaths.sst2Missing + " and " + TestPaths.minilmMissing)))
func sst2Dev() throws {
    let dev = TestPaths.sst2Dev!, vocab = TestPaths.minilmVocab!
    let dir = TemporaryDirectory()
    let summary = try prepareDataset(PrepareOptions(input: dev, vocab: vocab, output: dir.file("dev.h5")))
    #expect(summary.info.rowCount == 872)
    #expect(summary.labelCounts == [428, 444])
    let data = try TokenDataset(path: dir.file("dev.h5"))
    let tokenizer = BertTokenizer(vocabulary: try Vocabulary(contentsOf: vocab), lowercase: true)
    // Row 0 of dev.tsv; ids as Hugging Face's BertTokenizer gives them for this vocab.
    #expect(try data.tokens(ofRow: 0) == [101, 2009, 1005, 1055, 1037, 11951, 1998, 2411, 12473, 4990, 1012, 102])
    #expect(try data.tokens(ofRow: 0) == tokenizer.encode("it 's a charming and often affecting journey . ", maxLength: 128))
}
