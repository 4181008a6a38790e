import Foundation
import Testing

/// `--task regression` through the commands on the project's sample (datasets/sample/scores-*.tsv):
/// txf vocab, txf prepare --task regression, txf-train on 2 ranks from scratch, and txf evaluate
/// on 1 and 2 ranks, which must report the same MSE, Pearson and Spearman.
@Suite(.serialized, .enabled(if: Job.mpirunAvailable, "mpirun not on PATH; install openmpi-bin"))
struct RegressionMultiRankTests {
    func txf(_ arguments: [String], ranks: Int? = nil, in directory: String) throws -> Job {
        let job = try Job.run("txf", ranks: ranks, arguments, directory: directory, timeout: 120)
        #expect(job.status == 0 && !job.timedOut, "txf \(arguments.first ?? "") failed: \(job.output)")
        return job
    }

    @Test func sampleScoresTrainOnTwoRanksAndEvaluateAlikeOnOneAndTwo() throws {
        let directory = TrainFixture.runDirectory("regression-sample")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let sample = TestPaths.repositoryRoot.appendingPathComponent("datasets/sample").path
        _ = try txf(["vocab", "--input", sample + "/scores-train.tsv", "--size", "400", "--output", "vocab.txt"], in: directory)
        let prepared = try txf(["prepare", "--task", "regression", "--input", sample + "/scores-train.tsv", "--label-column", "score",
                                "--vocab", "vocab.txt", "--output", "train.h5", "--max-length", "32"], in: directory)
        #expect(prepared.stdout.contains("targets: 2000 rows"), "\(prepared.stdout)")
        _ = try txf(["prepare", "--task", "regression", "--input", sample + "/scores-dev.tsv", "--label-column", "score",
                     "--vocab", "vocab.txt", "--output", "dev.h5", "--max-length", "32"], in: directory)
        let inspected = try txf(["inspect", "dev.h5", "--rows", "1"], in: directory)
        #expect(inspected.stdout.contains("Task: regression; targets: 300 rows"), "\(inspected.stdout)")

        let train = try Job.run("txf-train", ranks: 2, [
            "--train", "train.h5", "--eval", "dev.h5", "--out", "run", "--layers", "1", "--hidden", "32", "--heads", "2",
            "--ffn", "64", "--max-length", "32", "--global-batch", "32", "--max-steps", "60", "--lr", "1e-2",
            "--warmup-steps", "5", "--eval-every", "30", "--log-every", "10", "--seed", "3", "--progress", "lines",
        ], directory: directory, timeout: 180)
        #expect(train.status == 0 && !train.timedOut, "txf-train failed: \(train.output)")
        let metrics = try String(contentsOfFile: directory + "/run/metrics.jsonl", encoding: .utf8)
        let evals = metrics.split(separator: "\n").filter { $0.contains(#""event":"eval""#) }.map(String.init)
        #expect(evals.count == 2)
        let pearson = try #require(evals.last.flatMap { jsonField($0, "pearson") }.flatMap(Double.init))
        #expect(pearson > 0.5, "pearson \(pearson) on the sample's dev set: \(evals)")
        #expect(train.stdout.contains("pearson"), "\(train.stdout)")
        // The end-of-run plot draws the correlations (TensorBoard gets every numeric eval field too).
        let plot = try String(contentsOfFile: directory + "/run/metrics.svg", encoding: .utf8)
        #expect(plot.contains("pearson") && plot.contains("spearman"))

        let one = try txf(["evaluate", "--model", "run/best.h5", "--data", "dev.h5", "--json"], in: directory)
        let two = try txf(["evaluate", "--model", "run/best.h5", "--data", "dev.h5", "--json"], ranks: 2, in: directory)
        let a = try #require(try JSONSerialization.jsonObject(with: Data((one.lines.last ?? "").utf8)) as? [String: Any])
        let b = try #require(try JSONSerialization.jsonObject(with: Data((two.lines.last ?? "").utf8)) as? [String: Any])
        #expect(a["count"] as? Int == 300 && b["count"] as? Int == 300)
        // Every row is computed in the same batch on either count, so the numbers are equal.
        for key in ["mse", "pearson", "spearman", "loss"] {
            let x = try #require(a[key] as? Double, "\(key) in \(one.stdout)"), y = try #require(b[key] as? Double, "\(key) in \(two.stdout)")
            #expect(x == y, "\(key): 1 rank \(x) vs 2 ranks \(y)")
        }
        // best.h5 holds the evaluation of highest Pearson, at least the last one's.
        #expect((a["pearson"] as? Double ?? 0) >= pearson - 1e-4)
        // Plain output: one line with the three numbers.
        let plain = try txf(["evaluate", "--model", "run/best.h5", "--data", sample + "/scores-dev.tsv", "--label-column", "score"], in: directory)
        #expect(plain.stdout.contains("mse ") && plain.stdout.contains("| pearson ") && plain.stdout.contains("| count 300"), "\(plain.stdout)")
    }
}
