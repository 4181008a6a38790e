import Foundation
import TxfCore
import TxfHDF5
import TxfModel

/// What `txf inspect` shows of a model file or checkpoint: its kind, architecture, tokenizer,
/// where training stood, LoRA config and base, provenance, and the size of each stored part.
///
/// Read from the archive's metadata (already checked on opening) and from the shapes of the
/// tensors the archive's own table names: groups and attributes are looked up by name, never
/// listed (docs/ARCHITECTURE.md, "File formats against hostile input"). No tensor is read.
public struct ArchiveReport: Sendable {
    /// One stored group of tensors: `params`, `adam_m` or `adam_v`.
    public struct Part: Sendable, Equatable {
        public let name: String
        /// Tensors found under the group, and their float32 values.
        public let tensors: Int
        public let values: Int
        /// Bytes of those values (4 each; compression aside).
        public var bytes: Int { values * MemoryLayout<Float>.size }
    }

    /// "model file", "checkpoint", "weights-only checkpoint", "LoRA checkpoint", "LoRA weights-only checkpoint".
    public let kind: String
    /// The stored parts, `params` first; moments only where the file holds them.
    public let parts: [Part]
    /// Parameters of the model the archive describes (a LoRA checkpoint's adapters and base
    /// together).
    public let modelParameters: Int
    /// Bytes of the file on disk.
    public let fileBytes: Int
    /// The report, one line each, without the trainer's records (`TrainingState.config` and
    /// `schedule`, which the trainer reads).
    public let lines: [String]

    public init(_ archive: ModelArchive) throws {
        let meta = archive.meta
        let table = ParameterTable.bertClassifier(meta.model, lora: meta.lora?.config)
        let stored = meta.lora == nil ? table.entries : table.entries.filter(\.trainable)
        var groups = [(ArchiveSchema.params, stored)]
        if archive.hasMoments {
            let trainable = table.entries.filter(\.trainable)
            groups += [(ArchiveSchema.adamM, trainable), (ArchiveSchema.adamV, trainable)]
        }
        parts = try groups.map { try ArchiveReport.part(archive.file, $0.0, $0.1) }
        modelParameters = table.totalCount
        fileBytes = ((try? FileManager.default.attributesOfItem(atPath: archive.path))?[.size] as? Int) ?? 0
        let weightsOnly = archive.kind == .checkpoint && !archive.hasMoments
        kind = (meta.lora == nil ? "" : "LoRA ") + (weightsOnly ? "weights-only " : "") + archive.kind.noun

        var lines = ["\(archive.path): txf \(kind), schema version \(ArchiveSchema.version)"]
        if weightsOnly {
            lines.append("  weights without AdamW moments: it predicts, evaluates and exports; resume from step-*.h5 or final.h5")
        }
        let m = meta.model
        let labels = meta.labelNames.isEmpty ? "" : " (\(meta.labelNames.joined(separator: ", ")))"
        lines.append("Architecture: BERT, \(m.numHiddenLayers) layers, hidden \(m.hiddenSize), \(m.numAttentionHeads) heads, ffn \(m.intermediateSize), vocab \(m.vocabSize), \(m.maxPositionEmbeddings) positions; \(m.head == .maskedLM ? "masked-LM head" : "\(m.task == .regression ? "regression (1 output)" : "\(m.numLabels) labels\(labels)"); pooling \(m.pooling.rawValue)"); \(ArchiveReport.grouped(table.totalCount)) parameters (\(ArchiveReport.grouped(table.trainableCount)) trained)")
        if let t = meta.tokenizer {
            lines.append("Tokenizer: \(t.kind), \(t.lowercase ? "lowercase" : "cased"), max length \(t.maxLength), vocab sha256 \(t.vocabSHA256.prefix(16))")
        }
        if let t = meta.training {
            lines.append("Training: step \(t.step) (epoch \(t.epoch), step \(t.stepInEpoch) in it), seed \(t.seed), \(t.worldSize) rank\(t.worldSize == 1 ? "" : "s")")
            lines.append("Best: " + (t.best.map { best in
                "\(best.metric) \(String(format: "%.4f", best.value))" + (best.step.map { " at step \($0)" } ?? "")
            } ?? "none (not evaluated yet)"))
            lines.append("Dataset fingerprint: \(t.datasetFingerprint)")
        }
        if let lora = meta.lora {
            let c = lora.config
            lines.append("LoRA: rank \(c.rank), alpha \(c.alpha), dropout \(c.dropout), targets \(c.targets.map(\.rawValue).joined(separator: ","))\(c.trainPooler ? ", pooler trained" : "")")
            lines.append("LoRA base: \(lora.basePath), sha256 \(lora.baseSHA256)")
        }
        for (key, value) in meta.provenance.sorted(by: { $0.key < $1.key }) {
            lines.append("Provenance: \(key) = \(value)")
        }
        lines.append("Parts:")
        let width = parts.map(\.name.count).max() ?? 0
        for part in parts {
            let name = part.name.padding(toLength: width, withPad: " ", startingAt: 0)
            lines.append("  \(name)  \(part.tensors) tensors, \(ArchiveReport.grouped(part.values)) float32 values, \(ArchiveReport.size(part.bytes))")
        }
        lines.append("  file: \(ArchiveReport.size(fileBytes))")
        self.lines = lines
    }

    /// The tensors of `entries` that `/<name>` holds, counted from their shapes.
    private static func part(_ file: H5File, _ name: String, _ entries: [ParameterInfo]) throws -> Part {
        let group = try file.openGroup(name)
        defer { group.close() }
        var tensors = 0, values = 0
        for e in entries where group.contains(e.name) {
            let dataset = try group.openDataset(e.name)
            defer { dataset.close() }
            tensors += 1
            values += dataset.count
        }
        return Part(name: name, tensors: tensors, values: values)
    }

    /// 1234567 as "1,234,567".
    static func grouped(_ n: Int) -> String {
        let digits = Array(String(n))
        var out = ""
        for (i, d) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(d)
        }
        return out
    }

    /// Bytes as "512 B", "4.9 KiB", "1.2 MiB", "3.4 GiB".
    static func size(_ bytes: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes), unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f", value) + " " + units[unit]
    }
}
