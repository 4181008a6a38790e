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

    /// One casing spelling for every command that tokenizes: --uncased (default) / --cased.
    @Test func casingFlagsAreTheSameInEveryCommand() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("txf-casing-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let vocab = dir.appendingPathComponent("vocab.txt").path
        try Data("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\na\nA\n".utf8).write(to: URL(fileURLWithPath: vocab))
        let binary = try #require(TestPaths.built("txf"), "txf not built").path
        func tokenize(_ flags: String) throws -> Job {
            try Job.run(executable: URL(fileURLWithPath: "/bin/bash"), ["-c", "echo A | '\(binary)' tokenize --vocab '\(vocab)' \(flags)"], timeout: 60)
        }
        #expect(try tokenize("").stdout == "2 5 3\n")
        #expect(try tokenize("--uncased").stdout == "2 5 3\n")
        #expect(try tokenize("--cased").stdout == "2 6 3\n")
        for command in ["tokenize", "vocab", "prepare", "import-hf"] {
            let help = try txf([command, "--help"])
            #expect(help.stdout.contains("--uncased") && help.stdout.contains("--cased") && !help.stdout.contains("-lowercase"), "\(command)")
        }
        let old = try tokenize("--no-lowercase")
        #expect(old.status == 64, "\(old.output)")
        let sample = TestPaths.repositoryRoot.appendingPathComponent("datasets/sample/train.tsv").path
        let cased = dir.appendingPathComponent("cased.txt").path
        #expect(try txf(["vocab", "--input", sample, "--size", "120", "--output", cased, "--cased"]).status == 0)
    }

    @Test func aMistypedCommandIsNamedWithTheNearestOne() throws {
        let job = try txf(["prepar", "--input", "x.tsv"])
        #expect(job.status == 64)
        #expect(job.stderr.contains("unknown command 'prepar'. Did you mean 'prepare'?"), "\(job.stderr)")
        let far = try txf(["frobnicate"])
        #expect(far.status == 64 && far.stderr.contains("unknown command 'frobnicate'") && !far.stderr.contains("Did you mean"), "\(far.stderr)")
    }
}
