import Foundation
import Testing
import TxfCore
import TxfDist
import TxfHDF5
import TxfModel
@testable import TxfStore
@testable import TxfTrain

/// A checkpoint opened from its bytes in memory (what ranks that cannot see rank 0's disk get)
/// is the same archive as the file: the same metadata, the same tensors, the same refusals.
@Suite struct FileImageTests {
    let fixture = TrainFixture.paths

    /// A finished 4-step run's final.h5 (one rank, in this process).
    func checkpoint() throws -> String {
        var c = TrainConfig()
        c.train = fixture.train; c.out = TrainFixture.runDirectory("image")
        c.layers = 1; c.hidden = 16; c.heads = 2; c.ffn = 32; c.maxLength = 16
        c.globalBatch = 16; c.maxSteps = 4; c.lr = 3e-3; c.seed = 3
        try Trainer(config: c, communicator: SingleProcessCommunicator()).run { _ in }
        return RunDirectory(path: c.out!).finalPath
    }

    func state(_ archive: ModelArchive) throws -> [Float] {
        let table = ParameterTable.bertClassifier(archive.meta.model)
        let p = FloatBuffer(count: table.totalCount), m = FloatBuffer(count: table.trainableCount), v = FloatBuffer(count: table.trainableCount)
        try archive.load(table: table, parameters: p.pointer, m: m.pointer, v: v.pointer)
        return p.toArray() + m.toArray() + v.toArray()
    }

    @Test func anImageGivesTheSameArchiveAsTheFile() throws {
        let path = try checkpoint()
        let file = try ModelArchive(path: path, expecting: .checkpoint)
        let image = try ModelArchive(image: try ModelArchive.readImage(path: path, expecting: .checkpoint), path: path,
                                     expecting: .checkpoint)
        #expect(image.path == path && image.kind == .checkpoint)
        #expect(image.meta == file.meta)
        #expect(try image.runConfig().json() == file.runConfig().json())
        let fromFile = try state(file), fromImage = try state(image)
        #expect(fromFile.count > 1000)
        #expect(fromImage.elementsEqual(fromFile) { $0.bitPattern == $1.bitPattern })
    }

    @Test func anImageIsRefusedAsTheFileIs() throws {
        let path = try checkpoint()
        var bytes = try ModelArchive.readImage(path: path)
        func openError(_ bytes: [UInt8]) -> String? {
            do { _ = try ModelArchive(image: bytes, path: path, expecting: .checkpoint); return nil } catch {
                return ModelArchive.message(error)
            }
        }
        // A flipped byte in a tensor: the checksum catches it on load, as it does on the file.
        let table = ParameterTable.bertClassifier(try ModelArchive(path: path).meta.model)
        let p = FloatBuffer(count: table.totalCount)
        let damaged = path + ".damaged"
        let needle = withUnsafeBytes(of: try state(try ModelArchive(path: path)).first { $0 != 0 }!.bitPattern) { Array($0) }
        let at = try #require((0 ..< bytes.count - 4).first { Array(bytes[$0 ..< $0 + 4]) == needle })
        bytes[at] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: damaged))
        func loadError(_ archive: ModelArchive) -> String? {
            do { try archive.load(table: table, parameters: p.pointer); return nil } catch { return ModelArchive.message(error) }
        }
        let fromImage = loadError(try ModelArchive(image: bytes, path: damaged, expecting: .checkpoint))
        let fromFile = loadError(try ModelArchive(path: damaged, expecting: .checkpoint))
        #expect(fromImage != nil && fromImage == fromFile, "\(fromImage ?? "no error")")
        // Not HDF5 at all, and a missing file: the messages of the path.
        let text = [UInt8]("not a checkpoint".utf8)
        #expect(openError(text) == "cannot open checkpoint \(path): \(path) is not an HDF5 file")
        #expect(throws: TxfError("cannot open checkpoint /nonexistent/x.h5: /nonexistent/x.h5: no such file")) {
            try ModelArchive.readImage(path: "/nonexistent/x.h5", expecting: .checkpoint)
        }
        #expect(throws: TxfError("cannot open checkpoint /nonexistent/x.h5: /nonexistent/x.h5: no such file")) {
            try ModelArchive(path: "/nonexistent/x.h5", expecting: .checkpoint)
        }
    }

    @Test func fromRootGivesEveryRankRankZerosOutcome() throws {
        let one = SingleProcessCommunicator()
        #expect(try one.fromRoot { [UInt8]([1, 2, 3]) } == [1, 2, 3])
        #expect(try one.fromRoot { "x.h5" } == "x.h5")
        #expect(throws: CollectiveError("out already holds checkpoints")) {
            let _: String = try one.fromRoot { throw TxfError("out already holds checkpoints") }
        }
    }
}
