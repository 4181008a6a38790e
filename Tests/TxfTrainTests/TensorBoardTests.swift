import Foundation
import Testing
import TxfDist
import TxfTestSupport
@testable import TxfEval
@testable import TxfTrain

/// The TensorBoard event files: CRC32C against published vectors, the framing, and a real
/// training run's scalars read back with TensorBoard's own reader against metrics.jsonl,
/// before and after a resume.
@Suite struct TensorBoardTests {
    static let tensorBoardAvailable = Python.has("tensorboard.backend.event_processing.event_accumulator")
    static let reader = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/tensorboard_scalars.py").path

    // RFC 3720 (iSCSI) B.4 and the usual check value of "123456789".
    @Test func crc32cMatchesPublishedVectors() {
        #expect(TensorBoardRecord.crc32c(Array("123456789".utf8)) == 0xE306_9283)
        #expect(TensorBoardRecord.crc32c([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(TensorBoardRecord.crc32c([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(TensorBoardRecord.crc32c((0 ..< 32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(TensorBoardRecord.crc32c((0 ..< 32).map { UInt8(31 - $0) }) == 0x113F_DB5C)
        #expect(TensorBoardRecord.crc32c([]) == 0)
    }

    @Test func framesReadBackAndACutFrameIsDropped() throws {
        let events = [TensorBoardRecord.fileVersionEvent(wallTime: 1.5),
                      TensorBoardRecord.scalarsEvent(wallTime: 2.5, step: 300, scalars: [("train/loss", 0.5)]),
                      TensorBoardRecord.scalarsEvent(wallTime: 3.5, step: 1 << 40, scalars: [])]
        let bytes = events.flatMap(TensorBoardRecord.frame)
        #expect(TensorBoardRecord.unframe(bytes) == events)
        #expect(TensorBoardRecord.unframe(Array(bytes.dropLast(1))) == Array(events.prefix(2)))
        var damaged = bytes
        damaged[damaged.count - 10] ^= 1
        #expect(TensorBoardRecord.unframe(damaged) == Array(events.prefix(2)))
        #expect(events.compactMap(TensorBoardRecord.stepAndKind).map(\.step) == [0, 300, 1 << 40])
        #expect(events.compactMap(TensorBoardRecord.stepAndKind).map(\.isFileVersion) == [true, false, false])
        // Event{step: 300}: key 0x10, varint 300 = 0xAC 0x02.
        #expect(events[1].starts(with: [0x09] + withUnsafeBytes(of: 2.5.bitPattern.littleEndian, Array.init) + [0x10, 0xAC, 0x02, 0x2A]))
    }

    func config(out: String) -> TrainConfig {
        var c = TrainConfig()
        c.train = TrainFixture.paths.train; c.eval = TrainFixture.paths.dev; c.out = out
        c.layers = 1; c.hidden = 16; c.heads = 2; c.ffn = 32; c.maxLength = 16
        c.globalBatch = 16; c.maxSteps = 6; c.lr = 3e-3; c.logEvery = 1; c.seed = 11
        c.evalEvery = 2; c.saveEvery = 3
        return c
    }

    @Test(.enabled(if: tensorBoardAvailable, "needs python3 with tensorboard (launch/install-deps.sh)"))
    func tensorBoardReadsTheScalarsOfMetricsJSONL() throws {
        let out = TrainFixture.runDirectory("tensorboard")
        try Trainer(config: config(out: out), communicator: SingleProcessCommunicator()).run { _ in }
        let first = try readBack(out)
        #expect(first.files == 1)
        try expectSameScalars(first.scalars, metricsPath: out + "/metrics.jsonl")
        #expect(FileManager.default.fileExists(atPath: out + "/" + MetricsPlot.fileName))

        // Resumed from step 3: steps 4-6 run and are logged again, and must appear once.
        var resumed = config(out: out)
        resumed.resume = out + "/step-00000003.h5"
        try Trainer(config: resumed, communicator: SingleProcessCommunicator()).run { _ in }
        let second = try readBack(out)
        #expect(second.files == 1)
        try expectSameScalars(second.scalars, metricsPath: out + "/metrics.jsonl")
        let before = first.scalars["train/loss"] ?? [], after = second.scalars["train/loss"] ?? []
        #expect(after.map(\.step) == [1, 2, 3, 4, 5, 6])
        // The events up to the resume step are carried over with their wall times.
        #expect(after.prefix(3).map(\.wallTime) == before.prefix(3).map(\.wallTime))
    }

    typealias Scalars = [String: [(step: Int, value: Double, wallTime: Double)]]

    /// The run directory's scalars as TensorBoard's EventAccumulator reads them.
    func readBack(_ directory: String) throws -> (files: Int, scalars: Scalars) {
        let python = try Python.run([Self.reader, directory], timeout: 120)
        try #require(python.status == 0, "tensorboard_scalars.py exited with \(python.status): \(python.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data((python.lines.last ?? "").utf8)) as? [String: Any])
        let tags = object["scalars"] as? [String: [[Double]]] ?? [:]
        return (object["files"] as? Int ?? -1,
                tags.mapValues { $0.map { (step: Int($0[0]), value: $0[1], wallTime: $0[2]) } })
    }

    /// Every numeric field of every train and eval line is the scalar of its tag at its step
    /// (as float32), and TensorBoard holds nothing else.
    func expectSameScalars(_ scalars: Scalars, metricsPath: String) throws {
        var expected: [String: [(step: Int, value: Double)]] = [:]
        let text = try String(contentsOfFile: metricsPath, encoding: .utf8)
        for line in text.split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let event = object["event"] as? String ?? "", step = object["step"] as? Int ?? -1
            guard event == "train" || event == "eval" else { continue }
            for (key, value) in object where !["event", "step", "count"].contains(key) {
                guard let number = value as? Double else { continue }
                expected["\(event)/\(key == "lr" ? "learning_rate" : key)", default: []].append((step, number))
            }
        }
        #expect(Set(scalars.keys) == Set(expected.keys))
        #expect(expected["eval/accuracy"]?.map(\.step) == [2, 4, 6])
        for (tag, points) in expected {
            let read = scalars[tag] ?? []
            #expect(read.map(\.step) == points.map(\.step), "\(tag)")
            assertClose(read.map(\.value), points.map { Double(Float($0.value)) }, relativeTolerance: 1e-7, absoluteTolerance: 0, tag)
        }
    }
}
