import Foundation
import TxfCore
import TxfData
import TxfHDF5
import TxfModel
import TxfStore

/// The loss, logits and parameter gradients of a model on a few dataset rows, dropout off:
/// what `txf gradients` writes, to compare against another implementation (PyTorch /
/// Hugging Face) tensor by tensor.
public struct GradientDump {
    /// Mean cross-entropy over the rows.
    public let loss: Double
    /// [rows, numLabels].
    public let logits: [Float]
    public let labels: [Int32]
    public let numLabels: Int
    /// Token ids the model saw, [rows, seqLen], each row padded with the pad id after `lengths[b]` real tokens.
    public let tokens: [Int32]
    public let lengths: [Int32]
    public let seqLen: Int
    /// (Hugging Face name, shape, gradient of the mean loss), in the model's declaration order.
    public let gradients: [(name: String, shape: [Int], values: [Float])]

    /// Computes the dump for `rows` of `dataset` with the model at `modelPath`.
    ///
    /// A full checkpoint or model file: every tensor is trainable, so every tensor gets a
    /// gradient (`bert.` + txf name; `classifier.*` as is). A LoRA checkpoint: the unmerged
    /// adapter model (base hash checked), gradients of its trainable tensors (adapters, e.g.
    /// `bert.encoder.layer.0.attention.self.query.lora_A.weight`, and the head).
    public static func compute(modelPath: String, dataset: TokenDataset, rows: Range<Int>) throws -> GradientDump {
        guard !rows.isEmpty, rows.lowerBound >= 0, rows.upperBound <= dataset.rowCount else {
            throw TxfError("--rows \(rows.lowerBound):\(rows.upperBound) is not a non-empty range inside the \(dataset.rowCount) rows of \(dataset.path)")
        }
        let batch = try dataset.readRows(Array(rows))
        let labels = batch.labels ?? []
        if let bad = labels.firstIndex(where: { $0 < 0 }) {
            throw TxfError("\(dataset.path): row \(rows.lowerBound + bad) has no label; gradients need labels")
        }
        try ModelArchive.checkFits(path: modelPath, maxBatch: rows.count, maxSeqLen: max(1, batch.seqLen),
                                   batchFlag: "--rows", workload: .gradients)
        let model: BertClassifier
        let checkpoint = try? ModelArchive(path: modelPath, expecting: .checkpoint)
        if let checkpoint, let lora = checkpoint.meta.lora {
            let (table, parameters) = try Merge.loraParameters(checkpoint)
            model = try BertClassifier(config: checkpoint.meta.model, maxBatch: rows.count, maxSeqLen: batch.seqLen, lora: lora.config)
            model.parameters.pointer.update(from: parameters.pointer, count: table.totalCount)
        } else {
            let stored = try StoredModel(path: modelPath)
            model = try BertClassifier(config: stored.config, maxBatch: rows.count, maxSeqLen: max(1, batch.seqLen))
            for e in stored.table.entries { _ = model.parameter(e.name).update(from: stored.tensor(e.name)) }
        }
        model.parametersDidChange()
        try dataset.checkTokenIds(below: model.config.vocabSize, source: "the model \(modelPath)")
        if let bad = labels.first(where: { Int($0) >= model.config.numLabels }) {
            throw TxfError("\(dataset.path) has label \(bad) but the model has \(model.config.numLabels) classes")
        }
        model.zeroGradients()
        let sum = model.forward(batch, mode: .eval)
        model.backward(lossScale: 1 / Float(rows.count))
        let declared = ParameterTable.bertClassifier(model.config, lora: model.loraConfig).entries.map(\.name)
        let gradients = declared.compactMap { name -> (String, [Int], [Float])? in
            guard let g = model.gradient(name) else { return nil }
            return (HFExport.hfName(name), model.table.info(name).shape, Array(g))
        }
        return GradientDump(loss: sum / Double(rows.count), logits: Array(model.logits), labels: labels,
                            numLabels: model.config.numLabels, tokens: batch.tokens, lengths: batch.lengths.map(Int32.init),
                            seqLen: batch.seqLen, gradients: gradients)
    }

    /// Writes the dump as HDF5: `/loss` (float64 scalar), `/logits` float32 [rows, L],
    /// `/labels` int32 [rows], `/input_ids` int32 [rows, S] (padded), `/lengths` int32 [rows]
    /// (so `attention_mask[b, t] = t < lengths[b]`), `/gradients/<Hugging Face name>` float32 in the tensor's shape
    /// ([out, in] weights, as PyTorch's `.grad`); attributes `txf_kind` = "gradients",
    /// `txf_schema_version` = 1, `model`, `data`, `rows` ("start:end").
    public func write(to path: String, modelPath: String, dataPath: String, rows: Range<Int>) throws {
        do {
            let file = try H5File.create(path)
            try file.setAttribute(ArchiveSchema.Attribute.kind, "gradients")
            try file.setAttribute(ArchiveSchema.Attribute.schemaVersion, 1)
            try file.setAttribute("model", modelPath)
            try file.setAttribute("data", dataPath)
            try file.setAttribute("rows", "\(rows.lowerBound):\(rows.upperBound)")
            try file.writeDataset("loss", [loss], shape: []).close()
            try file.writeDataset("logits", logits, shape: [labels.count, numLabels]).close()
            try file.writeDataset("labels", labels, shape: [labels.count]).close()
            try file.writeDataset("input_ids", tokens, shape: [labels.count, seqLen]).close()
            try file.writeDataset("lengths", lengths, shape: [labels.count]).close()
            let group = try file.createGroup("gradients")
            for (name, shape, values) in gradients {
                try group.writeDataset(name, values, shape: shape).close()
            }
            group.close()
            try file.closeAndSync()
        } catch {
            throw TxfError("cannot write \(path): \(ModelArchive.message(error))")
        }
    }
}
