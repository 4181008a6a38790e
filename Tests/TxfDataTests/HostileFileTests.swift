import Foundation
import Testing
import TxfCore
import TxfData
import TxfHDF5

/// Datasets that lie: out-of-range attributes, data edited after `prepare`, shapes the file
/// cannot hold, and files of txf's format 1 (variable-length strings). Each is refused with a
/// message naming the file before anything is sized by the lie.
@Suite("Hostile dataset files")
struct HostileFileTests {
    static let vocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\nfilm\ngood\nbad\n"

    /// A prepared two-class dataset of four rows.
    func prepared(_ dir: TemporaryDirectory) throws -> String {
        let input = dir.write("t.tsv", "sentence\tlabel\nthe good film\t1\nthe bad film\t0\ngood\t1\nbad bad\t0\n")
        let output = dir.file("d.h5")
        _ = try prepareDataset(PrepareOptions(input: input, vocab: dir.write("vocab.txt", Self.vocab), output: output, maxLength: 8))
        return output
    }

    func message(_ body: () throws -> Void) -> String? {
        do { try body(); return nil } catch let error as TxfError { return error.message } catch { return "\(error)" }
    }

    @Test("prepare stores max_token_id and data_sha256; opening verifies them")
    func dataHashStored() throws {
        let dir = TemporaryDirectory()
        let data = try TokenDataset(path: prepared(dir))
        #expect(data.info.maxTokenId == 8)
        #expect(data.info.dataSHA256.count == 64)
        try data.checkTokenIds(below: 9, source: "the model m.h5")
        #expect(message { try data.checkTokenIds(below: 8, source: "the model m.h5") }
            == "\(data.path) holds token id 8 but the model m.h5 has a vocab of 8 tokens; prepare the data with that model's vocab.txt")
    }

    @Test("a pad_id of 2^40 (or any id outside the vocab) is an error naming the file, not a trap")
    func padIdOutOfRange() throws {
        let dir = TemporaryDirectory()
        let path = try prepared(dir)
        do {
            let file = try H5File.open(path, writable: true)
            try file.setAttribute("pad_id", Int64(1) << 40)
        }
        #expect(message { _ = try TokenDataset(path: path) }
            == "\(path) is damaged: attribute pad_id is 1099511627776, outside 0...8; regenerate it with `txf prepare`")
        do {
            let file = try H5File.open(path, writable: true)
            try file.setAttribute("pad_id", 0)
            try file.setAttribute("row_count", -3)
        }
        #expect(message { _ = try TokenDataset(path: path) }?.contains("attribute row_count is -3") == true)
    }

    @Test("a token id changed with h5py after prepare (attributes unchanged) is refused")
    func editedDataRefused() throws {
        guard Python.has("h5py") else { return }
        let dir = TemporaryDirectory()
        let path = try prepared(dir)
        let before = try TokenDataset(path: path).fingerprint
        let edit = try Python.run(["-c", "import sys, h5py\nf = h5py.File(sys.argv[1], 'r+')\nf['tokens'][1] = 8\n", path])
        #expect(edit.status == 0, "\(edit.output)")
        #expect(message { _ = try TokenDataset(path: path) }
            == "\(path) was edited or damaged after `txf prepare`: its tokens, offsets or labels do not match data_sha256; regenerate it with `txf prepare`")
        // Restoring the id restores the file, fingerprint included.
        _ = try Python.run(["-c", "import sys, h5py\nf = h5py.File(sys.argv[1], 'r+')\nf['tokens'][1] = 5\n", path])
        #expect(try TokenDataset(path: path).fingerprint == before)
    }

    @Test("a dataset declaring more elements or bigger chunks than the file holds is refused before any read")
    func declaredSizesBounded() throws {
        guard Python.has("h5py") else { return }
        let dir = TemporaryDirectory()
        let path = dir.file("lies.h5")
        let script = """
        import sys, h5py, numpy as np
        with h5py.File(sys.argv[1], 'w') as f:
            f.create_dataset('huge', shape=(1 << 40,), maxshape=(None,), chunks=(16384,), dtype='i4', compression='gzip')
            f.create_dataset('bigchunk', shape=(1 << 27,), chunks=(1 << 27,), dtype='i4')
            f.create_dataset('fine', data=np.arange(10, dtype='i4'))
        """
        let result = try Python.run(["-c", script, path])
        #expect(result.status == 0, "\(result.output)")
        let file = try H5File.open(path)
        let clock = ContinuousClock(), start = clock.now
        #expect(message { _ = try file.openDataset("huge") }?.hasPrefix("\(path):/huge is damaged: shape [1099511627776] of int32 needs 4398046511104 bytes") == true)
        #expect(message { _ = try file.openDataset("bigchunk") }?.contains("chunk shape [134217728] is over 64 MiB") == true)
        #expect(clock.now - start < .seconds(2))
        #expect(try file.readDataset("fine", as: Int32.self) == (0 ..< 10).map { Int32($0) })
    }

    @Test("a format-1 dataset (variable-length strings) is refused by its types, and the converter makes it readable")
    func formatOneRefusedAndConverted() throws {
        guard Python.has("h5py") else { return }
        let dir = TemporaryDirectory()
        let path = try prepared(dir)
        let fingerprint = try TokenDataset(path: path).fingerprint
        // Turn the file into what txf's format 1 wrote: variable-length strings, version 1, no data hash.
        let downgrade = """
        import sys, h5py
        f = h5py.File(sys.argv[1], 'r+')
        for key in ('max_token_id', 'data_sha256'): del f.attrs[key]
        for key, value in list(f.attrs.items()):
            if isinstance(value, bytes): f.attrs[key] = value.decode()
            elif getattr(value, 'dtype', None) is not None and value.dtype.kind == 'S':
                f.attrs.create(key, [v.decode() for v in value], dtype=h5py.string_dtype())
        f.attrs['schema_version'] = 1
        """
        let result = try Python.run(["-c", downgrade, path])
        #expect(result.status == 0, "\(result.output)")
        #expect(message { _ = try TokenDataset(path: path) }
            == "\(path) is a file of txf's format 1 (variable-length strings, which this txf does not read); regenerate it with `txf prepare --input <text file> --vocab vocab.txt --output \(path)`, or convert it with `python3 launch/txf-convert-format1.py \(path)`")
        let converter = TestPaths.repositoryRoot.appendingPathComponent("launch/txf-convert-format1.py").path
        let converted = try Python.run([converter, path])
        #expect(converted.status == 0, "\(converted.output)")
        #expect(try TokenDataset(path: path).fingerprint == fingerprint)
    }
}
