import Foundation
import TxfTestSupport
import Testing
@testable import TxfEval
@testable import TxfStore
@testable import TxfTrain

@Suite struct MetricsTests {
    @Test func linesHaveTheDocumentedKeysInOrder() {
        let train = TrainingEvent.train(TrainRecord(step: 10, totalSteps: 100, epoch: 0.5, loss: 0.6931471805599453,
                                                    lr: 0.001, gradNorm: 1.25, tokensPerSecond: 5400, samplesPerSecond: 180.5,
                                                    gflopsPerSecond: 21.5, elapsedSeconds: 3.25, etaSeconds: 30))
        #expect(MetricsLog.jsonLine(train) == #"{"event":"train","step":10,"epoch":0.5,"loss":0.6931471805599453,"lr":0.001,"grad_norm":1.25,"tokens_per_s":5400,"samples_per_s":180.5,"gflops_per_s":21.5,"elapsed_s":3.25}"#)
        let eval = TrainingEvent.eval(EvalRecord(step: 100, loss: .nan, accuracy: 0.75, f1: 0.5, mcc: -0.25, count: 872))
        #expect(MetricsLog.jsonLine(eval) == #"{"event":"eval","step":100,"loss":null,"accuracy":0.75,"f1":0.5,"mcc":-0.25,"count":872}"#)
        let ckpt = TrainingEvent.checkpoint(CheckpointRecord(step: 100, path: "runs/a \"b\"/step-100.h5"))
        #expect(MetricsLog.jsonLine(ckpt) == #"{"event":"checkpoint","step":100,"path":"runs/a \"b\"/step-100.h5"}"#)
    }

    @Test func lossesReadBackBitwise() throws {
        let loss = 0.1 + 0.2
        let line = MetricsLog.jsonLine(.eval(EvalRecord(step: 1, loss: loss, accuracy: 1.0 / 3, f1: 0.1 + 0.7, mcc: 1.0 / 7, count: 3)))
        // Read the text itself: Foundation's JSON parser on Linux rounds some doubles.
        #expect(jsonField(line, "loss").flatMap(Double.init) == loss)
        #expect(jsonField(line, "accuracy").flatMap(Double.init) == 1.0 / 3)
        #expect(jsonField(line, "f1").flatMap(Double.init) == 0.1 + 0.7)
        #expect(jsonField(line, "mcc").flatMap(Double.init) == 1.0 / 7)
    }

    @Test func truncateKeepsWholeLinesUpToTheStep() throws {
        let path = TestScratch.path("metrics.jsonl")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try? FileManager.default.removeItem(atPath: path)
        do {
            let log = try MetricsLog(path: path)
            for step in 1...6 { log.append(.eval(EvalRecord(step: step, loss: 1, accuracy: 0.5, f1: 0.5, mcc: 0, count: 2))) }
            log.append(.checkpoint(CheckpointRecord(step: 4, path: "x")))
        }
        // A kill in the middle of a line leaves it without its newline.
        let handle = FileHandle(forWritingAtPath: path)!
        handle.seekToEndOfFile()
        handle.write(Data(#"{"event":"eval","step":3,"lo"#.utf8))
        handle.closeFile()
        try MetricsLog.truncate(path: path, afterStep: 4)
        let lines = String(decoding: FileManager.default.contents(atPath: path)!, as: UTF8.self)
            .split(separator: "\n").map(String.init)
        #expect(lines.count == 5)
        #expect(lines.last == #"{"event":"checkpoint","step":4,"path":"x"}"#)
    }

    @Test func progressLine() {
        let r = TrainRecord(step: 120, totalSteps: 2000, epoch: 0.5678, loss: 0.65312, lr: 9e-4, gradNorm: 1.2345,
                            tokensPerSecond: 5400.4, samplesPerSecond: 180, gflopsPerSecond: 21.46, elapsedSeconds: 10, etaSeconds: 192)
        #expect(ProgressPrinter.line(r) ==
                "step  120/2000 | epoch 0.57 | loss 0.6531 | lr 9.00e-04 | grad 1.234 | 5,400 tok/s | 21.5 GFLOP/s | 180 samples/s | ETA 3m12s")
        var measured = r
        measured.mfu = 21.46 / 41.0  // 52.3 %
        #expect(ProgressPrinter.line(measured) ==
                "step  120/2000 | epoch 0.57 | loss 0.6531 | lr 9.00e-04 | grad 1.234 | 5,400 tok/s | MFU 52% | 180 samples/s | ETA 3m12s")
        #expect(MetricsLog.jsonLine(.train(measured)).contains(#""gflops_per_s":21.46,"mfu":0.5234146341463415,"elapsed_s":10}"#))
        #expect(ProgressPrinter.bar(step: 5, total: 20) == "[#####...............]")
        #expect(ProgressPrinter.duration(7325) == "2h02m")
        #expect(ProgressPrinter.grouped(1234567) == "1,234,567")
    }
}

/// The raw text of a number field in a one-line JSON object written by `MetricsLog`.
func jsonField(_ line: String, _ key: String) -> String? {
    guard let start = line.range(of: "\"\(key)\":") else { return nil }
    let rest = line[start.upperBound...]
    return String(rest.prefix { $0 != "," && $0 != "}" })
}
