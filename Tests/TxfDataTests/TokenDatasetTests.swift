import Foundation
import Testing
import TxfCore
import TxfData
import TxfHDF5

@Suite("Token dataset reader")
struct TokenDatasetTests {
    /// Writes a dataset of `rows` (row i has ids 1000·i + 0, 1, ... of length lengths[i]) with
    /// the writer, in several flushes' worth of small chunks. The vocab is large enough for
    /// every id (opening checks them), and the pad id 999 is no row's token.
    func makeDataset(_ dir: TemporaryDirectory, lengths: [Int], labels: [Int32]) throws -> String {
        let path = dir.file("d.h5")
        let writer = try TokenDatasetWriter(path: path)
        for (i, length) in lengths.enumerated() {
            try writer.append((0..<length).map { Int32(1000 * i + $0) }, label: labels[i])
        }
        let info = DatasetInfo(tokenizer: TokenizerInfo(vocabSHA256: "v", vocabSize: 4_000_000, lowercase: true, padId: 999, unkId: 1,
                                                             clsId: 2, sepId: 3, maxLength: 64),
                               labelNames: ["neg", "pos"], sourcePath: "s.tsv", sourceSHA256: "s",
                               rowCount: 0, tokenCount: 0, truncatedRows: 0, skippedRows: 0)
        try writer.finish(info: info, vocabBytes: Array("[PAD]\n".utf8))
        return path
    }

    @Test("readRows returns exactly the requested rows, in order, padded to the longest")
    func readRowsPads() throws {
        let dir = TemporaryDirectory()
        let lengths = [3, 1, 4, 2, 5, 2]
        let path = try makeDataset(dir, lengths: lengths, labels: [0, 1, 1, 0, 1, 0])
        let data = try TokenDataset(path: path)
        #expect(data.rowCount == 6 && data.tokenCount == 17)
        #expect(data.lengths == [3, 1, 4, 2, 5, 2])
        var batch = MicroBatch()
        // Rows out of order, a repeat, and neighbours (2, 3) that merge into one run.
        try data.readRows([3, 0, 2, 3, 5], into: &batch)
        #expect(batch.seqLen == 4)
        #expect(batch.rows == [3, 0, 2, 3, 5])
        #expect(batch.lengths == [2, 3, 4, 2, 2])
        #expect(batch.labels == [0, 0, 1, 0, 0])
        let p: Int32 = 999
        #expect(batch.tokens == [
            3000, 3001, p, p,
            0, 1, 2, p,
            2000, 2001, 2002, 2003,
            3000, 3001, p, p,
            5000, 5001, p, p,
        ])
        // Reusing the batch for a smaller read overwrites everything; a fixed length pads further.
        try data.readRows([4], into: &batch, seqLen: 6)
        #expect(batch.tokens == [4000, 4001, 4002, 4003, 4004, p])
        #expect(batch.rows == [4] && batch.lengths == [5] && batch.labels == [1] && batch.realTokenCount == 5)
        #expect(throws: TxfError("\(path): row 6 is outside 0..<6")) { try data.readRows([1, 6], into: &batch) }
        #expect(throws: TxfError("\(path): requested length 3 is shorter than row length 5")) { try data.readRows([4], into: &batch, seqLen: 3) }
    }

    @Test("many rows across several chunks read back intact in random order")
    func manyRows() throws {
        let dir = TemporaryDirectory()
        let lengths = (0..<3000).map { 2 + ($0 * 7919) % 29 }  // 2...30 tokens, ~48K tokens over several chunks
        let path = try makeDataset(dir, lengths: lengths, labels: (0..<3000).map { Int32($0 % 2) })
        let data = try TokenDataset(path: path, chunkCacheBytes: 1 << 16)
        let rows = (0..<64).map { ($0 * 2741 + 11) % 3000 }
        let batch = try data.readRows(rows)
        #expect(batch.seqLen == rows.map { lengths[$0] }.max())
        for (b, row) in rows.enumerated() {
            #expect(Array(batch.tokens(ofSample: b)) == (0..<lengths[row]).map { Int32(1000 * row + $0) })
        }
    }

    @Test("fingerprint is stable for equal data and changes with the data; vocab checks name both sides")
    func fingerprintAndVocab() throws {
        let first = TemporaryDirectory(), second = TemporaryDirectory(), third = TemporaryDirectory()
        let a = try TokenDataset(path: makeDataset(first, lengths: [2, 3], labels: [0, 1]))
        let b = try TokenDataset(path: makeDataset(second, lengths: [2, 3], labels: [0, 1]))
        let c = try TokenDataset(path: makeDataset(third, lengths: [2, 4], labels: [0, 1]))
        #expect(a.fingerprint == b.fingerprint)
        #expect(a.fingerprint != c.fingerprint)
        #expect(a.fingerprint.count == 64)
        try a.checkVocab(sha256: "v", source: "vocab.txt")
        #expect(throws: TxfError.self) { try a.checkVocab(sha256: "w", source: "vocab.txt") }
    }

    @Test("length percentiles (nearest rank) and label counts")
    func statistics() throws {
        let dir = TemporaryDirectory()
        // Sorted lengths 2, 3, 4, ..., 11: p50 = 5th = 6, p90 = 9th = 10, p99 = 10th = 11.
        let path = try makeDataset(dir, lengths: [11, 2, 9, 3, 10, 4, 8, 5, 7, 6], labels: [0, 1, 1, 1, 0, 1, 1, 1, 0, 1])
        let stats = try TokenDataset(path: path).statistics()
        #expect(stats == DatasetStatistics(minLength: 2, p50: 6, p90: 10, p99: 11, maxLength: 11, meanLength: 6.5, labelCounts: [3, 7]))
    }

    @Test("files of the wrong kind or version are rejected with what to regenerate")
    func wrongSchema() throws {
        let dir = TemporaryDirectory()
        let plain = dir.file("plain.h5")
        try H5File.create(plain).close()
        #expect(throws: TxfError("\(plain) is not a txf dataset (no txf_kind attribute); make a dataset with `txf prepare --input <text file> --vocab vocab.txt --output <dataset>.h5`")) {
            _ = try TokenDataset(path: plain)
        }
        let checkpoint = dir.file("ckpt.h5")
        do {
            let file = try H5File.create(checkpoint)
            try file.setAttribute("txf_kind", "checkpoint")
        }
        #expect(throws: TxfError("\(checkpoint) is a txf 'checkpoint' file, not a tokenized-dataset (`txf inspect \(checkpoint)` shows it); make a dataset with `txf prepare --input <text file> --vocab vocab.txt --output <dataset>.h5`")) {
            _ = try TokenDataset(path: checkpoint)
        }
        let path = try makeDataset(dir, lengths: [2], labels: [0])
        do {
            let file = try H5File.open(path, writable: true)
            try file.setAttribute("schema_version", 3)
        }
        #expect(throws: TxfError("\(path) has dataset schema version 3; this txf reads version 2; regenerate it with `txf prepare --input <text file> --vocab vocab.txt --output \(path)`")) {
            _ = try TokenDataset(path: path)
        }
        let text = dir.write("notes.h5", "hello")
        #expect(throws: TxfError("\(text) is not an HDF5 file")) { _ = try TokenDataset(path: text) }
        // The raw text where a dataset belongs: the message says how to make one.
        let tsv = dir.write("train.tsv", "sentence\tlabel\nfine\t1\n")
        let made = String(tsv.dropLast(4)) + ".h5"
        #expect(throws: TxfError("\(tsv) is a text file, not a tokenized dataset; make one with `txf prepare --input \(tsv) --vocab vocab.txt --output \(made)` and pass that")) {
            _ = try TokenDataset(path: tsv)
        }
    }
}
