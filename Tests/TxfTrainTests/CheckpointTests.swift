import Foundation
import TxfTestSupport
import Testing
import TxfCore
import TxfData
import TxfHDF5
import TxfModel
@testable import TxfEval
@testable import TxfStore
@testable import TxfTrain

@Suite struct CheckpointTests {
    let model = ModelConfig(vocabSize: 30, hiddenSize: 8, numHiddenLayers: 1, numAttentionHeads: 2,
                            intermediateSize: 16, maxPositionEmbeddings: 12, numLabels: 3)

    var config: TrainConfig {
        var config = TrainConfig()
        config.train = "t.h5"; config.out = "o"; config.globalBatch = 16
        return config
    }

    func meta(step: Int) throws -> ArchiveMeta {
        let training = try TrainingState(step: step, epoch: step / 7, stepInEpoch: step % 7, seed: 0xFEED_FACE_CAFE_BEEF,
                                         schedule: LearningRateSchedule(kind: .cosine, peak: 1e-3, warmupSteps: 2, totalSteps: 50),
                                         config: config, optimizer: AdamW(weightDecay: 0.01), worldSize: 4,
                                         datasetFingerprint: "abc123",
                                         best: BestEvaluation(metric: "f1", value: 0.75, step: 14, evaluationsSince: 2))
        let tokenizer = TokenizerInfo(vocabSHA256: "ff00", vocabSize: 30, lowercase: true, padId: 0, unkId: 1, clsId: 2, sepId: 3, maxLength: 12)
        return ArchiveMeta(model: model, vocab: (0 ..< 30).map { "tok\($0)" }, labelNames: ["a", "b", "c"], tokenizer: tokenizer,
                           training: training)
    }

    /// Buffers with distinct values, so a tensor read into the wrong place shows.
    func buffers(_ table: ParameterTable, salt: UInt64) -> (FloatBuffer, FloatBuffer, FloatBuffer) {
        let p = FloatBuffer(count: table.totalCount), m = FloatBuffer(count: table.trainableCount), v = FloatBuffer(count: table.trainableCount)
        let key = RandomKey(seed: salt)
        for i in 0 ..< p.count { p[i] = key.normal(UInt64(i)) }
        for i in 0 ..< m.count { m[i] = key.with(1).normal(UInt64(i)); v[i] = key.with(2).uniform(UInt64(i)) }
        return (p, m, v)
    }

    @Test func roundTripRestoresEveryValueAndField() throws {
        let dir = try TestScratch.directory("ckpt")
        let table = ParameterTable.bertClassifier(model)
        let (p, m, v) = buffers(table, salt: 9)
        let path = dir + "/step-00000012.h5"
        try ModelArchive.write(to: path, table: table, parameters: p.pointer, m: m.pointer, v: v.pointer, meta: meta(step: 12))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["step-00000012.h5"])  // no .tmp left

        let file = try ModelArchive(path: path, expecting: .checkpoint)
        #expect(try file.meta == meta(step: 12))
        #expect(try file.runConfig() == config)
        let (p2, m2, v2) = buffers(table, salt: 10)
        try file.load(table: table, parameters: p2.pointer, m: m2.pointer, v: v2.pointer)
        #expect(p2.toArray() == p.toArray() && m2.toArray() == m.toArray() && v2.toArray() == v.toArray())
        // Tensors are stored by name with the table's shapes (h5py reads the same).
        let h5 = try H5File.open(path)
        let w = try h5.openGroup("params").openDataset("encoder.layer.0.intermediate.dense.weight")
        #expect(w.shape == [16, 8])
    }

    @Test func corruptedValueIsRefusedWithThePath() throws {
        let dir = try TestScratch.directory("ckpt")
        let table = ParameterTable.bertClassifier(model)
        let (p, m, v) = buffers(table, salt: 3)
        let path = dir + "/final.h5"
        try ModelArchive.write(to: path, table: table, parameters: p.pointer, m: m.pointer, v: v.pointer, meta: meta(step: 50))
        do {
            // Flip one moment value in place, as a bad disk block would.
            let file = try H5File.open(path, writable: true)
            let dataset = try file.openGroup("adam_v").openDataset("classifier.bias")
            var values = try dataset.read(as: Float.self)
            values[1] += 1
            try values.withUnsafeBufferPointer { try dataset.write($0) }
        }
        let (p2, m2, v2) = buffers(table, salt: 4)
        #expect(throws: TxfError.self) { try ModelArchive(path: path, expecting: .checkpoint).load(table: table, parameters: p2.pointer, m: m2.pointer, v: v2.pointer) }
        do { try ModelArchive(path: path, expecting: .checkpoint).load(table: table, parameters: p2.pointer, m: m2.pointer, v: v2.pointer) } catch let e as TxfError {
            #expect(e.message.contains("checkpoint \(path) is corrupt: checksum"))
        }
        // A truncated file, and a file of another kind, are refused naming the file.
        let truncated = dir + "/step-00000001.h5"
        let bytes = FileManager.default.contents(atPath: path)!
        _ = FileManager.default.createFile(atPath: truncated, contents: bytes.prefix(bytes.count / 2))
        #expect(message { _ = try ModelArchive(path: truncated, expecting: .checkpoint) }?.contains(truncated) == true)
        #expect(message { _ = try ModelArchive(path: TrainFixture.paths.train, expecting: .checkpoint) }?.contains("is not a txf checkpoint") == true)
    }

    @Test func aModelOfAnotherShapeIsRefused() throws {
        let dir = try TestScratch.directory("ckpt")
        let table = ParameterTable.bertClassifier(model)
        let (p, m, v) = buffers(table, salt: 5)
        let path = dir + "/final.h5"
        try ModelArchive.write(to: path, table: table, parameters: p.pointer, m: m.pointer, v: v.pointer, meta: meta(step: 50))
        var wider = model
        wider.intermediateSize = 20
        let other = ParameterTable.bertClassifier(wider)
        let (p2, m2, v2) = buffers(other, salt: 6)
        let text = message { try ModelArchive(path: path, expecting: .checkpoint).load(table: other, parameters: p2.pointer, m: m2.pointer, v: v2.pointer) }
        #expect(text?.contains("intermediate.dense.weight has shape [16, 8], the model expects [20, 8]") == true)
    }

    @Test func runDirectoryFindsTheNewestAndRotates() throws {
        let dir = try TestScratch.directory("ckpt")
        let run = RunDirectory(path: dir)
        #expect(try run.newestCheckpoint() == nil)
        let table = ParameterTable.bertClassifier(model)
        let (p, m, v) = buffers(table, salt: 1)
        for step in [5, 10, 15, 20] {
            try ModelArchive.write(to: run.stepPath(step), table: table, parameters: p.pointer, m: m.pointer, v: v.pointer, meta: meta(step: step))
        }
        _ = FileManager.default.createFile(atPath: run.stepPath(25) + ".tmp", contents: Data([1, 2, 3]))  // a killed write
        #expect(try run.newestCheckpoint() == run.stepPath(20))
        #expect(run.rotate(keep: 2) == [run.stepPath(5), run.stepPath(10)])
        #expect(run.stepCheckpoints().map(\.step) == [15, 20])
        try ModelArchive.write(to: run.finalPath, table: table, parameters: p.pointer, m: m.pointer, v: v.pointer, meta: meta(step: 20))
        #expect(try run.newestCheckpoint() == run.finalPath)
    }

    @Test func checksumSeesEveryByte() {
        var values = [Float](repeating: 0.5, count: 1001)
        func hash() -> String { var c = Checksum64(); values.withUnsafeBufferPointer { c.update($0.baseAddress!, count: $0.count) }; return c.finalizeHex() }
        let base = hash()
        #expect(base.count == 16)
        for index in [0, 7, 8, 500, 999, 1000] {
            let saved = values[index]
            values[index] = saved.nextUp
            #expect(hash() != base, "change at \(index)")
            values[index] = saved
        }
        #expect(hash() == base)
    }
}

/// The message of the error `body` throws, or nil.
func message(_ body: () throws -> Void) -> String? {
    do { try body(); return nil } catch let e as TxfError { return e.message } catch { return String(describing: error) }
}
