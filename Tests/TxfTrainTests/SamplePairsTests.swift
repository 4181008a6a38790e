import Foundation
import TxfTestSupport
import Testing

/// The project's MRPC-style sample (datasets/sample/pairs-*.tsv, datasets/make_pairs.py) end to
/// end with the built programs, as the README shows: `txf vocab`, `txf prepare
/// --text-pair-column`, 2 ranks of `txf-train` from scratch, `txf evaluate` on the dev TSV.
/// The label is whether both reviews recommend the film: either sentence alone reaches at most
/// 83%, so more than that means the model reads both segments.
@Suite(.serialized, .enabled(if: Job.mpirunAvailable, "mpirun not on PATH; install openmpi-bin"))
struct SamplePairsTests {
    let sample = TestPaths.repositoryRoot.appendingPathComponent("datasets/sample").path

    func txf(_ arguments: [String], in directory: String) throws -> Job {
        let job = try Job.run("txf", ranks: nil, arguments, directory: directory, timeout: 120)
        #expect(job.status == 0, "txf \(arguments.first ?? "") failed (\(job.status)): \(job.stderr)")
        return job
    }

    @Test func twoRanksLearnTheSamplePairsAboveChance() throws {
        let directory = try TestScratch.directory("sample-pairs")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let columns = ["--text-column", "sentence1", "--text-pair-column", "sentence2"]
        _ = try txf(["vocab", "--input", sample + "/pairs-train.tsv", "--text-column", "sentence1", "--size", "400",
                     "--output", "vocab.txt"], in: directory)
        for split in ["train", "dev"] {
            let prepared = try txf(["prepare", "--input", "\(sample)/pairs-\(split).tsv", "--vocab", "vocab.txt",
                                    "--output", "\(split).h5", "--max-length", "48"] + columns, in: directory)
            #expect(prepared.stdout.contains("sentence pairs"))
        }
        let inspected = try txf(["inspect", "dev.h5", "--rows", "1"], in: directory)
        #expect(inspected.stdout.contains("sentence pair") && inspected.stdout.contains("a: ") && inspected.stdout.contains("b: "))

        let train = try Job.run("txf-train", ranks: 2, [
            "--train", "train.h5", "--eval", "dev.h5", "--out", "run", "--layers", "1", "--hidden", "32", "--heads", "2",
            "--ffn", "64", "--max-length", "48", "--global-batch", "32", "--max-steps", "40", "--lr", "1e-2",
            "--warmup-steps", "3", "--seed", "3", "--log-every", "20", "--eval-every", "40",
        ], directory: directory, timeout: 180)
        #expect(train.status == 0 && !train.timedOut, "txf-train failed (\(train.status)): \(train.stderr)")

        let evaluated = try txf(["evaluate", "--model", "run/final.h5", "--data", sample + "/pairs-dev.tsv", "--json"] + columns,
                                in: directory)
        let line = try #require(evaluated.stdout.split(separator: "\n").last)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let accuracy = try #require(report["accuracy"] as? Double)
        print("SamplePairsTests: dev accuracy \(accuracy) after 40 steps")
        #expect(accuracy > 0.85, "dev accuracy \(accuracy)")
    }
}
