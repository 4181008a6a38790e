import Foundation
import TxfTestSupport
import Testing
import TxfCore
@testable import TxfEval
@testable import TxfTrain

/// `txf predict --input` on TSV/CSV/JSONL and standard input, `--output-format` jsonl and csv,
/// read back and compared with `Predictor` on the same texts.
@Suite struct PredictFilesTests {
    let fixture = TrainFixture.paths

    func txf(_ arguments: [String]) throws -> Job {
        try Job.run("txf", ranks: nil, arguments, timeout: 120)
    }

    /// Splits one RFC 4180 record (no line breaks inside, as these tests' texts have none).
    func csvFields(_ line: Substring) -> [String] {
        var fields: [String] = [], field = "", quoted = false, previous: Character = " "
        for c in line {
            if c == "\"" {
                if !quoted && previous == "\"" { field.append("\"") }  // the second quote of a doubled pair
                quoted.toggle()
            } else if c == "," && !quoted {
                fields.append(field); field = ""
            } else {
                field.append(c)
            }
            previous = c
        }
        return fields + [field]
    }

    @Test func tsvToCSVFileWithLinesLabelsAndProbabilities() throws {
        let dir = try TestScratch.directory("predict")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let input = dir + "/dev.tsv"
        try Data("sentence\tlabel\na good film\t1\n\nthe plot, \"twisted\", was dull\t0\n".utf8).write(to: URL(fileURLWithPath: input))
        let output = dir + "/out/predictions.csv"
        let job = try txf(["predict", "--model", LoRAFixture.base, "--precision", "fp32", "--input", input, "--output-format", "csv", "--output", output])
        #expect(job.status == 0, "\(job.output)")
        #expect(job.stdout.isEmpty)
        let lines = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n")
        #expect(lines.first == "line,label_index,label,p_0,p_1,text")
        let expected = try Predictor(path: LoRAFixture.base).predict(["a good film", "the plot, \"twisted\", was dull"])
        #expect(lines.count == 3)
        for (row, (line, prediction)) in zip([2, 4], zip(lines.dropFirst(), expected)) {
            let fields = csvFields(line)
            #expect(fields.count == 6, "\(line)")
            #expect(fields[0] == String(row) && fields[1] == String(prediction.labelIndex) && fields[2] == prediction.label)
            #expect(fields[3 ... 4].map { Float($0)! } == prediction.probabilities)
            #expect(fields[5] == prediction.text)
        }
        #expect(lines[2].hasSuffix(",\"the plot, \"\"twisted\"\", was dull\""))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/out") == ["predictions.csv"])
    }

    @Test func standardInputToJSONL() throws {
        let dir = try TestScratch.directory("predict")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let txf = try #require(TestPaths.built("txf"), "txf not built")
        let script = "printf 'a good film\\n   \\nthe plot was dull\\n' | '\(txf.path)' predict --model '\(LoRAFixture.base)' --input - --output-format jsonl 'an argument'"
        let job = try Job.run(executable: URL(fileURLWithPath: "/bin/bash"), ["-c", script], timeout: 120)
        #expect(job.status == 0, "\(job.output)")
        let objects = job.stdout.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(objects.count == 3)
        #expect(objects.map { $0?["text"] as? String } == ["an argument", "a good film", "the plot was dull"])
        #expect(objects[0]?["line"] is NSNull && objects[1]?["line"] as? Int == 1 && objects[2]?["line"] as? Int == 3)
        for object in objects {
            let probabilities = object?["probabilities"] as? [Double] ?? []
            #expect(probabilities.count == 2 && abs(probabilities.reduce(0, +) - 1) < 1e-5)
            let index = object?["label_index"] as? Int ?? -1
            #expect(object?["label"] as? String == String(index) && Set(object?.keys.map { $0 } ?? []) == ["line", "label_index", "label", "probabilities", "logits", "text"])
        }
    }

    @Test func jsonlInputWithAnotherTextFieldAndErrorsNamingTheLine() throws {
        let dir = try TestScratch.directory("predict")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let input = dir + "/reviews.jsonl"
        try Data("{\"review\": \"a good film\"}\n{\"review\": \"dull\"}\n".utf8).write(to: URL(fileURLWithPath: input))
        let good = try txf(["predict", "--model", LoRAFixture.base, "--input", input, "--text-column", "review"])
        #expect(good.status == 0 && good.stdout.split(separator: "\n").count == 2, "\(good.output)")
        #expect(good.stdout.split(separator: "\n").first?.hasSuffix("\ta good film") == true)
        try Data("{\"review\": \"a good film\"}\n{\"text\": \"dull\"}\n".utf8).write(to: URL(fileURLWithPath: input))
        let output = dir + "/p.jsonl"
        let bad = try txf(["predict", "--model", LoRAFixture.base, "--input", input, "--text-column", "review", "--output", output])
        #expect(bad.status == 1 && bad.stderr.contains("\(input):2: "), "\(bad.stderr)")
        #expect(!FileManager.default.fileExists(atPath: output))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["reviews.jsonl"])
        let csv = dir + "/r.txt"
        try Data("x\n".utf8).write(to: URL(fileURLWithPath: csv))
        let wrongColumn = try txf(["predict", "--model", LoRAFixture.base, "--input", csv, "--format", "csv", "--text-column", "review"])
        #expect(wrongColumn.status == 1 && wrongColumn.stderr.contains("\(csv):1: no text column 'review'"), "\(wrongColumn.stderr)")
    }

    /// A pair model through `--text-pair-column` gives Predictor's pair predictions, with the
    /// second text in `text_pair`; a one-text-per-line input cannot hold pairs.
    @Test func sentencePairsFromATSVColumn() throws {
        let out = TrainFixture.runDirectory("predict-pairs")
        _ = try TrainFixture.trainAlone(PairFixture.config(out: out, steps: 2))
        let model = out + "/final.h5", input = PairFixture.paths.devTSV
        let job = try txf(["predict", "--model", model, "--precision", "fp32", "--input", input, "--text-column", "sentence1",
                           "--text-pair-column", "sentence2", "--output-format", "jsonl"])
        #expect(job.status == 0, "\(job.output)")
        let rows = try String(contentsOfFile: input, encoding: .utf8).split(separator: "\n").dropFirst()
            .map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        let expected = try Predictor(path: model).predict(rows.map { (text: $0[0], pair: $0[1]) })
        let objects = job.stdout.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(objects.count == expected.count && expected.count == 48)
        for (index, (object, prediction)) in zip(objects, expected).enumerated() {
            #expect(object?["line"] as? Int == index + 2)
            #expect(object?["text"] as? String == prediction.text && object?["text_pair"] as? String == prediction.pair)
            #expect((object?["probabilities"] as? [Double])?.map(Float.init) == prediction.probabilities)
        }
        #expect(expected.allSatisfy { $0.pairStart != nil && $0.tokenTypeIds.contains(1) })
        let dir = try TestScratch.directory("predict")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data("a good film\n".utf8).write(to: URL(fileURLWithPath: dir + "/lines.txt"))
        let lines = try txf(["predict", "--model", model, "--input", dir + "/lines.txt", "--text-pair-column", "sentence2"])
        #expect(lines.status == 1 && lines.stderr.contains("--text-pair-column needs a TSV, CSV or JSONL --input"), "\(lines.stderr)")
    }

    /// A regression model writes its score: `score<TAB>text`, and CSV `line,score,text`.
    @Test func aRegressionModelWritesScores() throws {
        let model = RegressionTrainingTests.trained.out + "/best.h5"
        let texts = ["a good film", "the plot was dull"]
        let expected = try Predictor(path: model).predict(texts)
        let text = try txf(["predict", "--model", model, "--precision", "fp32"] + texts)
        #expect(text.status == 0, "\(text.output)")
        #expect(text.stdout.split(separator: "\n").map(String.init) == expected.map { String(format: "%.4f", $0.score!) + "\t" + $0.text })
        let csv = try txf(["predict", "--model", model, "--precision", "fp32", "--output-format", "csv"] + texts)
        let lines = csv.stdout.split(separator: "\n")
        #expect(lines.first == "line,score,text")
        #expect(lines.dropFirst().map { csvFields($0) } == expected.map { ["", "\($0.score!)", $0.text] })
    }

    @Test func csvFieldsAreQuotedAsRFC4180() {
        #expect(PredictionOutput.csvField("plain") == "plain")
        #expect(PredictionOutput.csvField("a, b") == "\"a, b\"")
        #expect(PredictionOutput.csvField("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(PredictionOutput.csvField("two\nlines") == "\"two\nlines\"")
        let output = PredictionOutput(format: .csv, labelNames: ["neg", "a,b"])
        #expect(output.header == "line,label_index,label,p_neg,\"p_a,b\",text")
    }
}
