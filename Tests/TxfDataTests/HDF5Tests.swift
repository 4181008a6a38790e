import Foundation
import Testing
import TxfCore
import TxfHDF5

@Suite("HDF5 wrapper")
struct HDF5Tests {
    @Test("every element type round-trips through a whole-dataset write and read")
    func datasetTypesRoundTrip() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("types.h5")
        let ints32: [Int32] = [-3, 0, 7, Int32.max, Int32.min, 42]
        let ints64: [Int64] = [Int64.min, -1, 0, 1, Int64.max]
        let floats: [Float] = [1.5, -2.25, 0, 3.0e-8, 6.5, 1e30]
        let bytes: [UInt8] = [0, 1, 254, 255]
        do {
            let file = try H5File.create(path)
            try file.writeDataset("i32", ints32, shape: [2, 3], storage: .compressed(chunk: [1, 3]))
            try file.writeDataset("i64", ints64)
            try file.writeDataset("f32", floats, shape: [3, 2], storage: .compressed(chunk: [8, 8]))
            let group = try file.createGroup("nested")
            try group.writeDataset("u8", bytes, storage: .compressed(chunk: [2]))
            try file.writeDataset("empty", [Float](), storage: .compressed(chunk: [16]))
            try file.close()
        }
        let file = try H5File.open(path)
        let i32 = try file.openDataset("i32")
        #expect(i32.shape == [2, 3])
        #expect(try i32.read(as: Int32.self) == ints32)
        #expect(try file.readDataset("i64", as: Int64.self) == ints64)
        let f32 = try file.openDataset("f32")
        #expect(f32.shape == [3, 2])
        #expect(try f32.read(as: Float.self) == floats)
        #expect(try file.openGroup("nested").readDataset("u8", as: UInt8.self) == bytes)
        #expect(try file.readDataset("empty", as: Float.self) == [])
        #expect(try file.names() == ["empty", "f32", "i32", "i64", "nested"])
        #expect(file.kind(of: "nested") == .group)
        #expect(file.kind(of: "i64") == .dataset)
        #expect(file.kind(of: "missing") == nil)
    }

    @Test("reading with the wrong element type names the dataset and both types")
    func wrongElementType() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("t.h5")
        let file = try H5File.create(path)
        let dataset = try file.writeDataset("values", [Float(1), 2])
        #expect(throws: TxfError("\(path):/values holds float32, expected int32")) {
            _ = try dataset.read(as: Int32.self)
        }
    }

    @Test("row ranges, merged runs and point selections read exactly the selected values")
    func partialReads() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("rows.h5")
        let matrix = (0..<40).map { Int32($0) }  // [10, 4]: row r holds 4r ..< 4r+4
        do {
            let file = try H5File.create(path)
            try file.writeDataset("m", matrix, shape: [10, 4], storage: .compressed(chunk: [3, 4]))
            try file.writeDataset("v", (0..<100).map { Int64($0 * 10) }, storage: .compressed(chunk: [7]))
        }
        let file = try H5File.open(path)
        let m = try file.openDataset("m", chunkCacheBytes: 1 << 20)
        #expect(try m.readRows(2..<4, as: Int32.self) == [8, 9, 10, 11, 12, 13, 14, 15])
        var buffer = [Int32](repeating: -1, count: 16)
        try buffer.withUnsafeMutableBufferPointer { try m.readRows(runs: [0..<1, 5..<7, 9..<10], into: $0) }
        #expect(buffer == [0, 1, 2, 3, 20, 21, 22, 23, 24, 25, 26, 27, 36, 37, 38, 39])
        let v = try file.openDataset("v")
        var points = [Int64](repeating: 0, count: 4)
        try points.withUnsafeMutableBufferPointer { try v.readElements(at: [93, 2, 2, 50], into: $0) }
        #expect(points == [930, 20, 20, 500])
        #expect(throws: TxfError.self) { _ = try m.readRows(9..<11, as: Int32.self) }
        #expect(throws: TxfError.self) {
            try buffer.withUnsafeMutableBufferPointer { try m.readRows(runs: [5..<6, 1..<2], into: $0) }
        }
    }

    @Test("an extendible dataset grows by appended pieces")
    func extendibleAppend() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("grow.h5")
        do {
            let file = try H5File.create(path)
            let tokens = try file.createExtendibleDataset("tokens", of: Int32.self, storage: .compressed(chunk: [4]))
            let pieces: [[Int32]] = [[1, 2, 3], [], [4, 5, 6, 7, 8, 9], [10]]
            for piece in pieces { try piece.withUnsafeBufferPointer { try tokens.append($0) } }
            #expect(tokens.shape == [10])
            let table = try file.createExtendibleDataset("table", of: Float.self, rowShape: [2], storage: .compressed(chunk: [3, 2]))
            try [Float(1), 2, 3, 4].withUnsafeBufferPointer { try table.append($0) }
            try [Float(5), 6].withUnsafeBufferPointer { try table.append($0) }
            #expect(throws: TxfError.self) { try [Float(7)].withUnsafeBufferPointer { try table.append($0) } }
            tokens.close()
            table.close()
            try file.closeAndSync()
        }
        let file = try H5File.open(path)
        #expect(try file.readDataset("tokens", as: Int32.self) == (1...10).map { Int32($0) })
        let table = try file.openDataset("table")
        #expect(table.shape == [3, 2])
        #expect(try table.read(as: Float.self) == [1, 2, 3, 4, 5, 6])
    }

    @Test("attributes of every kind round-trip, replace on rewrite, and list by name")
    func attributesRoundTrip() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("attrs.h5")
        do {
            let file = try H5File.create(path)
            try file.setAttribute("kind", "tokenized-dataset ✓")
            try file.setAttribute("count", 67349)
            try file.setAttribute("count", Int64(-5))  // replaces
            try file.setAttribute("rate", 0.125)
            try file.setAttribute("names", ["negative", "positive", ""])
            try file.setAttribute("none", [String]())
            try file.setAttribute("ids", [Int64(3), -4, 1 << 40])
            try file.setAttribute("weights", [Float(0.5), -1.5])
            let dataset = try file.writeDataset("d", [Int32(1)])
            try dataset.setAttribute("unit", "tokens")
            try file.writeStringDataset("words", ["[PAD]", "héllo", "##ing"])
        }
        let file = try H5File.open(path)
        #expect(try file.stringAttribute("kind") == "tokenized-dataset ✓")
        #expect(try file.int64Attribute("count") == -5)
        #expect(try file.doubleAttribute("rate") == 0.125)
        #expect(try file.doubleAttribute("count") == -5)
        #expect(try file.stringArrayAttribute("names") == ["negative", "positive", ""])
        #expect(try file.stringArrayAttribute("none") == [])
        #expect(try file.int64ArrayAttribute("ids") == [3, -4, 1 << 40])
        #expect(try file.floatArrayAttribute("weights") == [0.5, -1.5])
        #expect(try file.openDataset("d").stringAttribute("unit") == "tokens")
        #expect(try file.readStringDataset("words") == ["[PAD]", "héllo", "##ing"])
        #expect(file.attributeNames() == ["count", "ids", "kind", "names", "none", "rate", "weights"])
        #expect(try file.attribute("count") == .integer(-5))
        #expect(try file.attribute("names") == .strings(["negative", "positive", ""]))
        #expect(try file.attribute("weights") == .reals([0.5, -1.5]))
        #expect(throws: TxfError("\(path):/ has no attribute missing")) { _ = try file.stringAttribute("missing") }
        #expect(throws: TxfError.self) { _ = try file.int64Attribute("kind") }
    }

    @Test("opening a missing or non-HDF5 file is one clear error")
    func openErrors() throws {
        let dir = TemporaryDirectory()
        #expect(throws: TxfError("\(dir.file("nope.h5")): no such file")) { _ = try H5File.open(dir.file("nope.h5")) }
        let text = dir.write("plain.h5", "not hdf5 at all\n")
        #expect(throws: TxfError("\(text) is not an HDF5 file")) { _ = try H5File.open(text) }
        let file = try H5File.create(dir.file("x.h5"))
        #expect(throws: TxfError("\(dir.file("x.h5")): no dataset /tokens")) { _ = try file.openDataset("tokens") }
    }

    @Test("fixed-length strings that h5py wrote read back; variable-length ones are refused by type")
    func readsWhatH5pyWrote() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("from-python.h5")
        let script = """
        import sys, h5py, numpy as np
        with h5py.File(sys.argv[1], 'w') as f:
            f.attrs['fixed'] = np.bytes_('hello')
            f.attrs['fixed_list'] = np.array([b'ab', b'cde'], dtype='S3')
            f.attrs['text'] = 'café'
            f.attrs['small'] = np.int32(-7)
            f.attrs['reals'] = np.array([1.5, -2.5])
            f['names'] = np.array([b'x', b'yz'], dtype='S2')
            f['vnames'] = np.array(['über', 'b'], dtype=h5py.string_dtype())
        """
        guard Python.has("h5py") else { return }
        let result = try Python.run(["-c", script, path])
        #expect(result.status == 0, "\(result.output)")
        let file = try H5File.open(path)
        #expect(try file.stringAttribute("fixed") == "hello")
        #expect(try file.stringArrayAttribute("fixed_list") == ["ab", "cde"])
        #expect(try file.int64Attribute("small") == -7)
        #expect(try file.attribute("reals") == .reals([1.5, -2.5]))
        #expect(try file.readStringDataset("names") == ["x", "yz"])
        // Variable-length strings sit in the global heap, where damaged files crashed libhdf5.
        #expect(file.hasVariableLengthString("text") && !file.hasVariableLengthString("fixed"))
        #expect(throws: TxfError.self) { _ = try file.stringAttribute("text") }
        #expect(throws: TxfError.self) { _ = try file.readStringDataset("vnames") }
    }

    @Test("h5py reads strings as fixed-length UTF-8 bytes and numbers with their types")
    func h5pyReadsAttributes() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("py.h5")
        do {
            let file = try H5File.create(path)
            try file.setAttribute("kind", "tokenized-dataset")
            try file.setAttribute("names", ["neg", "pos"])
            try file.setAttribute("n", 12)
            try file.writeDataset("x", [Int32(4), 5, 6], shape: [1, 3], storage: .compressed(chunk: [1, 2]))
        }
        let script = """
        import sys, h5py
        f = h5py.File(sys.argv[1], 'r')
        a = f.attrs
        assert a['kind'].decode() == 'tokenized-dataset', repr(a['kind'])
        assert h5py.check_string_dtype(a.get_id('kind').dtype).encoding == 'utf-8'
        assert [s.decode() for s in a['names']] == ['neg', 'pos'], repr(a['names'])
        assert int(a['n']) == 12
        assert f['x'].dtype.name == 'int32' and f['x'][:].tolist() == [[4, 5, 6]]
        print('ok')
        """
        guard Python.has("h5py") else { return }  // no python3/h5py here
        let result = try Python.run(["-c", script, path])
        #expect(result.status == 0, "\(result.output)")
    }
}
