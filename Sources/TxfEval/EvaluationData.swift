import Foundation
import TxfCore
import TxfData
import TxfStore
import TxfText

/// The dataset `txf evaluate --data` names, ready for `Evaluation.report`.
public enum EvaluationData {
    /// Opens `path` for evaluating `model`: a prepared dataset (.h5, checked to be tokenized with
    /// the model's vocab), or a text file (TSV/CSV/JSONL) tokenized here with the model's own
    /// vocab, casing and max length into a temporary directory; call `cleanup` when done to
    /// remove it. Its labels map through the model's label names as `txf prepare
    /// --label-names` maps them (a name is its index, else an integer is the id). A dataset
    /// without rows is an error.
    public static func open(_ path: String, for model: StoredModel, columns: ColumnSelection = ColumnSelection())
        throws -> (dataset: TokenDataset, cleanup: () -> Void) {
        guard FileManager.default.fileExists(atPath: path) else { throw TxfError("--data \(path): no such file") }
        if path.hasSuffix(".h5") || path.hasSuffix(".hdf5") {
            let dataset = try TokenDataset(path: path)
            let modelVocab = model.tokenizer?.vocabSHA256 ?? SHA256.hex(of: Data(model.vocab.map { $0 + "\n" }.joined().utf8))
            try dataset.checkVocab(sha256: modelVocab, source: "the model \(model.path)")
            try dataset.checkTokenIds(below: model.config.vocabSize, source: "the model \(model.path)")
            try checkLabels(dataset, model)
            return (dataset, {})
        }
        let directory = NSTemporaryDirectory() + "txf-evaluate-\(getpid())-\(UUID().uuidString.prefix(8))"
        let cleanup = { _ = try? FileManager.default.removeItem(atPath: directory) }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let vocab = directory + "/vocab.txt", output = directory + "/data.h5"
            try Data(model.vocab.map { $0 + "\n" }.joined().utf8).write(to: URL(fileURLWithPath: vocab))
            _ = try prepareDataset(PrepareOptions(input: path, vocab: vocab, output: output, columns: columns,
                                                  maxLength: model.maxLength, lowercase: model.lowercase,
                                                  labels: labelRule(for: model),
                                                  task: model.config.task))
            let dataset = try TokenDataset(path: output)
            try checkLabels(dataset, model)
            return (dataset, cleanup)
        } catch {
            cleanup()
            throw error
        }
    }

    /// Refuses a regression dataset for a classifier and class labels for a regression model,
    /// naming both files.
    public static func checkTask(dataset: String, _ dataTask: ModelTask, model: String, _ modelTask: ModelTask) throws {
        guard dataTask != modelTask else { return }
        let data = dataTask == .regression ? "regression data (real-valued targets)" : "classification data (class labels)"
        let kind = modelTask == .regression ? "a regression model (one output)" : "a classifier"
        let remedy = modelTask == .regression
            ? "prepare the data with `txf prepare --task regression`"
            : "use a regression model (`txf import-hf --task regression`, or one trained on this data)"
        throw TxfError("\(dataset) is \(data) but \(model) is \(kind); \(remedy)")
    }

    /// The model's label names when it stores them, else its class count.
    static func labelRule(for model: StoredModel) -> LabelRule {
        model.labelNames.isEmpty ? LabelRule(classCount: model.config.numLabels) : LabelRule(names: model.labelNames)
    }

    static func checkLabels(_ dataset: TokenDataset, _ model: StoredModel) throws {
        guard dataset.rowCount > 0 else { throw TxfError("--data \(dataset.path) has no rows; there is nothing to evaluate") }
        try checkTask(dataset: dataset.path, dataset.task, model: model.path, model.config.task)
        if dataset.task == .regression { return }
        guard !dataset.labelNames.isEmpty else { throw TxfError("\(dataset.path) has no labels; evaluation needs a labelled dataset") }
        guard dataset.labelNames.count <= model.config.numLabels else {
            throw TxfError("\(dataset.path) has \(dataset.labelNames.count) classes but the model \(model.path) has \(model.config.numLabels)")
        }
    }
}
