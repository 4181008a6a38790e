import Foundation
import TxfCore
import TxfData
import TxfHDF5
import TxfModel

extension ArchiveMeta {
    private typealias A = ArchiveSchema.Attribute

    /// Writes the root attributes (all but the checksum) and `/vocab`.
    func write(to file: H5File) throws {
        try file.setAttribute(A.kind, kind.rawValue)
        try file.setAttribute(A.schemaVersion, ArchiveSchema.version)
        if let t = training {
            try file.setAttribute(A.step, t.step)
            try file.setAttribute(A.epoch, t.epoch)
            try file.setAttribute(A.stepInEpoch, t.stepInEpoch)
            try file.setAttribute(A.seed, Int64(bitPattern: t.seed))
            try file.setAttribute(A.worldSize, t.worldSize)
            try file.setAttribute(A.schedule, t.schedule)
            try file.setAttribute(A.config, t.config)
            try file.setAttribute(A.optimizer, t.optimizer)
            try file.setAttribute(A.datasetFingerprint, t.datasetFingerprint)
            if let best = t.best { try best.write(to: file) }
        }
        try file.setAttribute(A.modelConfig, String(decoding: try model.jsonData(), as: UTF8.self))
        try file.setAttribute(A.labelNames, labelNames)
        if let tokenizer { try tokenizer.writeArchiveAttributes(to: file) }
        if let lora {
            try file.setAttribute(A.loraConfig, try ModelArchive.json(lora.config))
            try file.setAttribute(A.baseModelPath, lora.basePath)
            try file.setAttribute(A.baseModelSHA256, lora.baseSHA256)
        }
        for (key, value) in provenance.sorted(by: { $0.key < $1.key }) {
            try file.setAttribute(key, value)
        }
        if kind == .model { try file.setAttribute(A.provenanceKeys, provenance.keys.sorted()) }
        try writeVocab(to: file)
    }

    /// `/vocab` as vocab.txt's bytes: every token followed by "\n".
    private func writeVocab(to file: H5File) throws {
        if let bad = vocab.firstIndex(where: { $0.contains("\n") || $0.contains("\r") }) {
            throw TxfError("vocab token \(bad) holds a line break; a vocab.txt line cannot")
        }
        let bytes = Array(vocab.map { $0 + "\n" }.joined().utf8)
        try file.writeDataset(ArchiveSchema.vocab, bytes).close()
    }

    /// The tokens of `/vocab` (`writeVocab`), in id order.
    private static func readVocab(from file: H5File) throws -> [String] {
        let bytes = try file.readDataset(ArchiveSchema.vocab, as: UInt8.self)
        guard let text = String(validating: bytes, as: UTF8.self) else { throw TxfError("/\(ArchiveSchema.vocab) is not UTF-8") }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.last == "" else { throw TxfError("/\(ArchiveSchema.vocab) does not end with a line break") }
        lines.removeLast()
        return lines
    }

    /// Refuses provenance that would overwrite an attribute of the format.
    func checkProvenance() throws {
        for key in provenance.keys where A.reservedForModels.contains(key) || key.hasPrefix(A.tokenizerPrefix) {
            throw TxfError("model file: provenance attribute \(key) collides with a reserved name")
        }
    }

    /// Reads what `write(to:)` wrote to an archive of `kind` (kind and version already checked).
    static func read(from file: H5File, kind: ModelArchive.Kind) throws -> ArchiveMeta {
        let decoder = JSONDecoder()
        func json<T: Decodable>(_ type: T.Type, _ name: String) throws -> T {
            try decoder.decode(type, from: Data(try file.stringAttribute(name).utf8))
        }
        let model = try json(ModelConfig.self, A.modelConfig)
        try model.validate()
        var meta = ArchiveMeta(model: model, vocab: try readVocab(from: file),
                               labelNames: try file.stringArrayAttribute(A.labelNames),
                               tokenizer: try TokenizerInfo.readArchiveAttributes(from: file))
        switch kind {
        case .checkpoint:
            func int(_ name: String) throws -> Int { Int(try file.int64Attribute(name)) }
            meta.training = TrainingState(
                step: try int(A.step), epoch: try int(A.epoch), stepInEpoch: try int(A.stepInEpoch),
                seed: UInt64(bitPattern: try file.int64Attribute(A.seed)), worldSize: try int(A.worldSize),
                datasetFingerprint: try file.stringAttribute(A.datasetFingerprint),
                best: try BestEvaluation.read(from: file),
                config: try file.stringAttribute(A.config), schedule: try file.stringAttribute(A.schedule),
                optimizer: try file.stringAttribute(A.optimizer))
            if file.hasAttribute(A.loraConfig) {
                meta.lora = LoRACheckpointInfo(config: try json(LoRAConfig.self, A.loraConfig),
                                               basePath: try file.stringAttribute(A.baseModelPath),
                                               baseSHA256: try file.stringAttribute(A.baseModelSHA256))
            }
        case .model:
            // `provenance_keys` names them: listing a damaged file's attributes crashes libhdf5 1.10.
            let keys = file.hasAttribute(A.provenanceKeys) ? try file.stringArrayAttribute(A.provenanceKeys) : []
            for name in keys where !A.reservedForModels.contains(name) && !name.hasPrefix(A.tokenizerPrefix) {
                meta.provenance[name] = try? file.stringAttribute(name)
            }
        }
        return meta
    }
}

extension BestEvaluation {
    private typealias A = ArchiveSchema.Attribute

    func write(to file: H5File) throws {
        try file.setAttribute(A.bestMetric, metric)
        try file.setAttribute(A.bestValue, value)
        if let step { try file.setAttribute(A.bestStep, step) }
        try file.setAttribute(A.evaluationsSinceBest, evaluationsSince)
    }

    /// What `write(to:)` wrote; an old checkpoint's `best_accuracy` alone reads as the
    /// accuracy with no step; nil when the file records no evaluation.
    static func read(from file: H5File) throws -> BestEvaluation? {
        if file.hasAttribute(A.bestMetric) {
            return BestEvaluation(metric: try file.stringAttribute(A.bestMetric), value: try file.doubleAttribute(A.bestValue),
                                  step: file.hasAttribute(A.bestStep) ? Int(try file.int64Attribute(A.bestStep)) : nil,
                                  evaluationsSince: Int(try file.int64Attribute(A.evaluationsSinceBest)))
        }
        guard file.hasAttribute(A.bestAccuracy) else { return nil }
        return BestEvaluation(metric: "accuracy", value: try file.doubleAttribute(A.bestAccuracy), step: nil)
    }
}

extension TokenizerInfo {
    /// Writes every field as a text attribute `tokenizer_<key>` (`lowercase` "1"/"0").
    func writeArchiveAttributes(to file: H5File) throws {
        for field in Attribute.allCases.sorted(by: { $0.rawValue < $1.rawValue }) {
            try file.setAttribute(ArchiveSchema.tokenizerAttribute(field), text(field))
        }
    }

    /// The text an archive stores for `field`.
    func text(_ field: Attribute) -> String {
        switch field {
        case .kind: kind
        case .vocabSHA256: vocabSHA256
        case .vocabSize: String(vocabSize)
        case .lowercase: lowercase ? "1" : "0"
        case .padId: String(padId)
        case .unkId: String(unkId)
        case .clsId: String(clsId)
        case .sepId: String(sepId)
        case .maxLength: String(maxLength)
        }
    }

    /// The fields an archive stores (`writeArchiveAttributes`); nil when it stores none.
    static func readArchiveAttributes(from file: H5File) throws -> TokenizerInfo? {
        // By name, not by listing: libhdf5 1.10 crashes listing a damaged file's attributes.
        guard Attribute.allCases.contains(where: { file.hasAttribute(ArchiveSchema.tokenizerAttribute($0)) }) else { return nil }
        func text(_ field: Attribute) throws -> String { try file.stringAttribute(ArchiveSchema.tokenizerAttribute(field)) }
        func int<T: FixedWidthInteger>(_ field: Attribute) throws -> T {
            let value = try text(field)
            guard let number = T(value) else {
                throw TxfError("\(ArchiveSchema.tokenizerAttribute(field)) is \"\(value)\", not an integer")
            }
            return number
        }
        let lowercase = try text(.lowercase)
        return TokenizerInfo(kind: try text(.kind), vocabSHA256: try text(.vocabSHA256), vocabSize: try int(.vocabSize),
                             lowercase: lowercase == "1" || lowercase == "true",
                             padId: try int(.padId), unkId: try int(.unkId), clsId: try int(.clsId), sepId: try int(.sepId),
                             maxLength: try int(.maxLength))
    }
}
