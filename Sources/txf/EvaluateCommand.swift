import ArgumentParser
import Foundation
import TxfCore
import TxfData
import TxfDist
import TxfEval
import TxfStore
import TxfTrain

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Accuracy, macro F1, MCC, per-class precision/recall, mean loss and confusion matrix of a model on a labelled dataset (runs under mpirun too).",
        discussion: """
        --data is a prepared dataset (.h5, tokenized with the model's vocab) or a TSV/CSV/JSONL \
        file with integer labels, which is tokenized with the model's own vocab, casing and max \
        length (checkpoints carry them). Dropout is off. Under mpirun each rank evaluates its own \
        block of rows and one all-reduce sums the counts: the numbers do not depend on the rank \
        count (up to the order of the loss sum); rank 0 prints. The metrics are scikit-learn's \
        (matthews_corrcoef, f1_score average=macro, zero_division=0): a class never predicted \
        has precision 0, and a constant predictor has MCC 0. A regression model (`--task \
        regression`) reports the mean squared error, Pearson and Spearman correlation over the \
        whole set (scipy's pearsonr and spearmanr; --json: {"count","loss","mse","pearson","spearman"}).

        Examples:
          txf evaluate --model runs/sst2/final.h5 --data data/dev.h5
          mpirun -n 2 txf evaluate --model runs/sst2/final.h5 --data sst2/dev.tsv --json
        """)

    @Option(help: "A txf checkpoint (full or LoRA) or model file.")
    var model: String

    @Option(help: "Prepared dataset (.h5) or a labelled TSV/CSV/JSONL file.")
    var data: String

    @Option(help: "Text column of a TSV/CSV/JSONL --data.")
    var textColumn = ColumnSelection.defaultText

    @Option(help: "Second-sentence column of a TSV/CSV/JSONL --data of sentence pairs.")
    var textPairColumn: String?

    @Option(help: "Label column of a TSV/CSV/JSONL --data.")
    var labelColumn = ColumnSelection.defaultLabel

    @Option(help: "Rows per forward pass.")
    var batchSize = 64

    @Flag(help: "Print one JSON object: accuracy, f1 (macro), mcc, loss, count, confusion, per_class.")
    var json = false

    @OptionGroup var precision: PrecisionOption

    func validate() throws {
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
    }

    func run() throws {
        let communicator = defaultCommunicator()
        let choice = try communicator.together { try precision.resolved() }
        if communicator.isRoot { FileHandle.standardError.write(Data((choice.startupLine + "\n").utf8)) }
        let opened = try communicator.together { () throws -> (StoredModel, TokenDataset, () -> Void, Predictor) in
            try ModelArchive.checkFits(path: model, maxBatch: batchSize, batchFlag: "--batch-size", workload: .inference,
                                       ranksOnHost: communicator.localRankCount)
            let stored = try StoredModel(path: model)
            let (dataset, cleanup) = try EvaluationData.open(data, for: stored, columns: ColumnSelection(text: textColumn, label: labelColumn, pair: textPairColumn))
            return (stored, dataset, cleanup, try Predictor(stored: stored, batchSize: batchSize, matmul: choice.matmulMode))
        }
        defer { opened.2() }
        if opened.0.config.task == .regression {
            let report = try communicator.together {
                let longest = opened.1.lengths.max().map(Int.init) ?? 1
                return try Evaluation.regressionReport(model: opened.3.model(seqLen: longest), dataset: opened.1,
                                                       batchSize: batchSize, communicator: communicator)
            }
            guard communicator.isRoot else { return }
            print(json ? report.json() : report.summaryLine)
            return
        }
        let names = opened.0.labelNamesOrDefault
        let report = try communicator.together {
            let longest = opened.1.lengths.max().map(Int.init) ?? 1
            return try Evaluation.report(model: opened.3.model(seqLen: longest), dataset: opened.1, batchSize: batchSize,
                                         communicator: communicator)
        }
        guard communicator.isRoot else { return }
        if json {
            print(report.json(labelNames: names))
            return
        }
        let correct = Int((report.accuracy * Double(report.count)).rounded())
        print("accuracy \(String(format: "%.2f", report.accuracy * 100))% (\(correct)/\(report.count)) | loss \(String(format: "%.4f", report.loss)) | count \(report.count)")
        print("confusion matrix (rows: true label, columns: predicted):")
        let width = max(8, names.map(\.count).max() ?? 0)
        func pad(_ s: String) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }
        print(pad("") + " " + names.map(pad).joined(separator: " "))
        for (name, row) in zip(names, report.confusion) {
            print(pad(name) + " " + row.map { pad(String($0)) }.joined(separator: " "))
        }
        print("")
        print(report.metricsTable(labelNames: names))
    }
}
