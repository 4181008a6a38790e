import Foundation
import Testing
import TxfCore
import TxfData
import TxfHDF5

/// `txf prepare --task regression`: real-valued targets in `/targets`, the task attribute, the
/// data hash over them, and bad targets refused by file:line.
@Suite("txf prepare --task regression")
struct RegressionPrepareTests {
    func prepare(_ dir: TemporaryDirectory, _ text: String, skipBadRows: Bool = false) throws -> PrepareSummary {
        let options = PrepareOptions(input: dir.write("scores.tsv", text), vocab: dir.write("vocab.txt", tinyVocab),
                                     output: dir.file("out.h5"), columns: ColumnSelection(text: "sentence", label: "score"),
                                     skipBadRows: skipBadRows, task: .regression)
        return try prepareDataset(options)
    }

    @Test("targets are stored as float32 with task regression, labels -1 and no label names")
    func targetsRoundTrip() throws {
        let dir = TemporaryDirectory()
        let summary = try prepare(dir, "sentence\tscore\na fine film\t4.8\nthe films\t 0 \ndull , dull\t-1.5e-1\n")
        let data = try TokenDataset(path: dir.file("out.h5"))
        #expect(data.task == .regression && data.info.task == .regression)
        #expect(data.targets == [4.8, 0, -0.15])
        #expect(data.labels == [-1, -1, -1] && data.labelNames.isEmpty)
        #expect(summary.targets?.count == 3 && summary.labelCounts.isEmpty)
        let stats = try #require(data.targetStatistics())
        assertClose(stats.mean, (Double(Float(4.8)) + Double(Float(-0.15))) / 3, relativeTolerance: 1e-12, absoluteTolerance: 0, "mean")
        #expect(stats.minimum == Double(Float(-0.15)) && stats.maximum == Double(Float(4.8)))
        let batch = try data.readRows([2, 0])
        #expect(batch.targets == [-0.15, 4.8])
        let file = try H5File.open(dir.file("out.h5"))
        #expect(try file.stringAttribute(DatasetSchema.Attribute.task) == "regression")
        try file.close()
    }

    @Test("a target that is text, empty, nan or inf stops prepare at its file:line")
    func badTargets() throws {
        for bad in ["high", "", "nan", "inf", "-Infinity", "1e39"] {
            let dir = TemporaryDirectory()
            #expect {
                _ = try prepare(dir, "sentence\tscore\na fine film\t1\nthe films\t\(bad)\n")
            } throws: { error in
                let message = (error as? TxfError)?.message ?? ""
                return message.hasPrefix(dir.file("scores.tsv") + ":3: target")
            }
            #expect(!FileManager.default.fileExists(atPath: dir.file("out.h5")))
        }
        let dir = TemporaryDirectory()
        let summary = try prepare(dir, "sentence\tscore\na fine film\t1\nthe films\tnan\n", skipBadRows: true)
        #expect(summary.info.rowCount == 1 && summary.info.skippedRows == 1)
    }

    @Test("data_sha256 covers /targets: the digest Python computes, and an edited target is refused")
    func hashCoversTargets() throws {
        let dir = TemporaryDirectory()
        _ = try prepare(dir, "sentence\tscore\na fine film\t4.8\nthe films\t2\n")
        guard Python.has("h5py") else {
            print("skipped: h5py not installed (python3 -m pip install h5py)")
            return
        }
        let script = """
        import sys, h5py, hashlib
        with h5py.File(sys.argv[1], 'r+') as f:
            d = lambda name, t: hashlib.sha256(f[name][:].astype(t).tobytes()).digest()
            digest = hashlib.sha256(d('tokens', '<i4') + d('offsets', '<i8') + d('labels', '<i4') + d('targets', '<f4')).hexdigest()
            assert digest == f.attrs['data_sha256'].decode(), (digest, f.attrs['data_sha256'])
            f['targets'][1] = 2.5
        """
        let job = try Python.run(["-c", script, dir.file("out.h5")])
        #expect(job.status == 0, "\(job.stderr)")
        #expect(throws: TxfError.self) { try TokenDataset(path: dir.file("out.h5")) }
    }

    @Test("a classification file has no /targets, no task attribute, and its hash is as before")
    func classificationUnchanged() throws {
        let dir = TemporaryDirectory()
        let options = PrepareOptions(input: dir.write("train.tsv", "sentence\tlabel\na fine film\t1\n"),
                                     vocab: dir.write("vocab.txt", tinyVocab), output: dir.file("out.h5"))
        _ = try prepareDataset(options)
        let data = try TokenDataset(path: dir.file("out.h5"))
        #expect(data.task == .classification && data.targets == nil && data.targetStatistics() == nil)
        let file = try H5File.open(dir.file("out.h5"))
        #expect(!file.hasAttribute(DatasetSchema.Attribute.task))
        try file.close()
    }
}
