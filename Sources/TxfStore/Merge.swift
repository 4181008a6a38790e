import Foundation
import TxfCore
import TxfModel

/// What `txf merge` wrote.
public struct MergeSummary: Sendable {
    public let output: String
    public let lora: LoRACheckpointInfo
    /// Adapted weights folded, e.g. 12 for query,value on 6 blocks.
    public let foldedWeights: Int
}

/// Folding a LoRA checkpoint into its base model: W ← W + (alpha/r)·B·A for every adapted
/// weight, in fp32, giving a plain model (Hugging Face BERT tensors only).
public enum Merge {
    /// The LoRA model of `checkpoint` (a LoRA checkpoint): its table (adapters included) and
    /// parameters, the frozen ones read from the base model (`base`, else the recorded path),
    /// whose SHA-256 must match the recorded one.
    public static func loraParameters(_ checkpoint: ModelArchive, base: String? = nil) throws -> (ParameterTable, FloatBuffer) {
        guard let info = checkpoint.meta.lora else {
            throw TxfError("\(checkpoint.path) is not a LoRA checkpoint (it holds every tensor already)")
        }
        let table = ParameterTable.bertClassifier(checkpoint.meta.model, lora: info.config)
        let parameters = FloatBuffer(count: table.totalCount)
        try LoRABase.load(info, checkpoint: checkpoint.path, override: base, table: table, into: parameters.pointer)
        try checkpoint.load(table: table, parameters: parameters.pointer)
        return (table, parameters)
    }

    /// The merged model of a LoRA checkpoint: every tensor of `ParameterTable.bertClassifier(config)`
    /// (all trainable, Hugging Face order), adapters folded in. Returns the plain table and its
    /// parameters [table.totalCount].
    public static func merged(_ checkpoint: ModelArchive, base: String? = nil) throws -> (ParameterTable, FloatBuffer) {
        let (loraTable, source) = try loraParameters(checkpoint, base: base)
        let config = checkpoint.meta.model, lora = checkpoint.meta.lora!.config
        let table = ParameterTable.bertClassifier(config)
        let parameters = FloatBuffer(count: table.totalCount)
        for e in table.entries {
            (parameters.pointer + e.offset).update(from: source.pointer + loraTable.info(e.name).offset, count: e.count)
        }
        for layer in 0 ..< config.numHiddenLayers {
            for target in lora.targets {
                let (out, inFeatures) = target.shape(config)
                let (a, b) = target.adapterNames(layer: layer)
                LoRAMerge.fold(weight: parameters.pointer + table.info(target.weightName(layer: layer)).offset,
                               a: source.pointer + loraTable.info(a).offset, b: source.pointer + loraTable.info(b).offset,
                               out: out, in: inFeatures, rank: lora.rank, scale: lora.scale)
            }
        }
        return (table, parameters)
    }

    /// `txf merge`: reads the LoRA checkpoint at `modelPath`, folds it into its base and writes
    /// a model file (`ModelArchive.write`) at `output` with the checkpoint's vocab, labels and
    /// tokenizer, and provenance attributes `merged_from`, `base_model_path`, `base_model_sha256`
    /// and `merged_lora_config`.
    public static func run(modelPath: String, output: String, base: String? = nil) throws -> MergeSummary {
        let checkpoint = try ModelArchive(path: modelPath, expecting: .checkpoint)
        let (table, parameters) = try merged(checkpoint, base: base)
        let meta = checkpoint.meta, info = meta.lora!
        try ModelArchive.write(to: output, table: table, parameters: parameters.pointer, meta: ArchiveMeta(
            model: meta.model, vocab: meta.vocab, labelNames: meta.labelNames, tokenizer: meta.tokenizer,
            provenance: ["merged_from": URL(fileURLWithPath: modelPath).standardizedFileURL.path,
                         "base_model_path": base.map { URL(fileURLWithPath: $0).standardizedFileURL.path } ?? info.basePath,
                         "base_model_sha256": info.baseSHA256,
                         "merged_lora_config": try ModelArchive.json(info.config)]))
        return MergeSummary(output: output, lora: info, foldedWeights: meta.model.numHiddenLayers * info.config.targets.count)
    }
}
