import Foundation
import Testing

/// What the commands say where a new user's first try goes wrong (issue: "a README that runs
/// as written"): a missing output folder is made, a missing input file is named as missing.
struct CommandMessageTests {
    func txf(_ arguments: [String]) throws -> Job {
        let txf = try #require(TestPaths.built("txf"), "txf not built")
        return try Job.run(executable: txf, arguments, timeout: 60)
    }

    @Test func vocabMakesItsOutputFolder() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("txf-vocab-\(getpid())-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let sample = TestPaths.repositoryRoot.appendingPathComponent("datasets/sample/train.tsv").path
        let vocab = out.appendingPathComponent("runs/scratch/vocab.txt").path
        let job = try txf(["vocab", "--input", sample, "--size", "120", "--output", vocab])
        #expect(job.status == 0, "\(job.output)")
        let tokens = try String(contentsOfFile: vocab, encoding: .utf8).split(separator: "\n")
        #expect(tokens.count == 120 && tokens.contains("[CLS]"), "\(tokens.prefix(8))")
    }

    @Test func predictNamesAMissingInputFile() throws {
        let missing = "/nonexistent-\(getpid())/texts.txt"
        let job = try txf(["predict", "--model", "/nonexistent-\(getpid())/model.h5", "--input", missing])
        #expect(job.status == 1)
        #expect(job.stderr.contains("--input \(missing): no such file"), "\(job.stderr)")
    }

    @Test func aMistypedCommandIsNamedWithTheNearestOne() throws {
        let job = try txf(["prepar", "--input", "x.tsv"])
        #expect(job.status == 64)
        #expect(job.stderr.contains("unknown command 'prepar'. Did you mean 'prepare'?"), "\(job.stderr)")
        let far = try txf(["frobnicate"])
        #expect(far.status == 64 && far.stderr.contains("unknown command 'frobnicate'") && !far.stderr.contains("Did you mean"), "\(far.stderr)")
    }
}
