import Foundation
import TxfCore
import TxfData
import TxfModel
import TxfText

/// What `txf import-hf` is asked to do.
public struct HFImportOptions: Sendable {
    /// Directory holding config.json, vocab.txt and model.safetensors (and optionally
    /// tokenizer_config.json).
    public var modelDirectory: String
    /// Model file to write.
    public var output: String
    /// Classes of the new head (default: config.json's `num_labels` / `id2label`, else 2).
    public var numLabels: Int?
    /// Class names (default: config.json's `id2label` when it has `numLabels` entries, else
    /// `LABEL_0`, `LABEL_1`, …). Implies `numLabels`.
    public var labelNames: [String]?
    /// Seed of the fresh classifier (and pooler, when the file has none).
    public var seed: UInt64
    /// Whether the tokenizer lowercases (default: tokenizer_config.json's `do_lower_case`, else true).
    public var lowercase: Bool?
    /// Classification or regression (a one-output head); default: config.json's `problem_type`,
    /// else classification.
    public var task: ModelTask?
    /// What the new head reads (`classifier_pooling`); default: config.json's, else [CLS].
    /// all-MiniLM-L6-v2 was trained with the mean (sentence-transformers' pooling).
    public var pooling: Pooling?

    public init(modelDirectory: String, output: String, numLabels: Int? = nil, labelNames: [String]? = nil,
                seed: UInt64 = 0, lowercase: Bool? = nil, task: ModelTask? = nil, pooling: Pooling? = nil) {
        self.modelDirectory = modelDirectory
        self.output = output
        self.numLabels = numLabels
        self.labelNames = labelNames
        self.seed = seed
        self.lowercase = lowercase
        self.task = task
        self.pooling = pooling
    }
}

/// What an import did.
public struct HFImportSummary: Sendable {
    public let config: ModelConfig
    /// txf names of the tensors read from the safetensors file.
    public let loaded: [String]
    /// txf names of the tensors freshly initialised (the classifier; the pooler if absent).
    public let initialized: [String]
    /// Safetensors names skipped: buffers such as `embeddings.position_ids`, pre-training heads.
    public let ignored: [String]
    /// Source dtypes seen among the loaded tensors (F16/BF16 are converted exactly).
    public let sourceDTypes: [String]
    public let labelNames: [String]
    public let lowercase: Bool
    /// SHA-256 of model.safetensors.
    public let sourceSHA256: String
}

/// Imports a Hugging Face BERT checkpoint (config.json + vocab.txt + model.safetensors) into a
/// txf model file (`ModelArchive.write`).
///
/// Safetensors names may carry `bert.` (BertFor… checkpoints) or not (BertModel / MiniLM); the
/// prefix is dropped. Every embedding and encoder tensor must be present with the shape
/// config.json implies; a missing or misshapen one is an error naming it. The pooler and
/// classifier are loaded when present with the right shape, else initialised like Hugging
/// Face does (N(0, initializer_range²) weights, zero biases) from `seed`. Anything else —
/// `embeddings.position_ids`, `cls.*` pre-training heads — is ignored and listed.
public enum HFImport {
    public static func run(_ options: HFImportOptions) throws -> HFImportSummary {
        let dir = URL(fileURLWithPath: options.modelDirectory)
        let configURL = dir.appendingPathComponent("config.json")
        let vocabPath = dir.appendingPathComponent("vocab.txt").path
        let weightsPath = dir.appendingPathComponent("model.safetensors").path
        for path in [configURL.path, vocabPath] where !FileManager.default.fileExists(atPath: path) {
            throw TxfError("\(options.modelDirectory) has no \((path as NSString).lastPathComponent); a Hugging Face BERT directory holds config.json, vocab.txt and model.safetensors")
        }
        guard FileManager.default.fileExists(atPath: weightsPath) else {
            let hasBin = FileManager.default.fileExists(atPath: dir.appendingPathComponent("pytorch_model.bin").path)
            throw TxfError("\(options.modelDirectory) has no model.safetensors\(hasBin ? " (only pytorch_model.bin, which txf does not read; save it with safe_serialization=True)" : "")")
        }

        // Architecture and labels.
        var config = try ModelConfig(contentsOf: configURL)
        // A BertForMaskedLM checkpoint (bert-base-uncased's) gives its encoder; txf adds the classifier.
        config.head = .classifier
        if let pooling = options.pooling { config.pooling = pooling }
        let raw = try rawConfig(configURL)
        if let type = raw["model_type"] as? String, type != "bert" {
            throw TxfError("\(configURL.path): model_type \"\(type)\" is not supported (txf imports BERT-style encoders, model_type \"bert\")")
        }
        if let names = options.labelNames, let n = options.numLabels, names.count != n {
            throw TxfError("--labels names \(names.count) classes but --num-labels is \(n)")
        }
        if let task = options.task, task != config.task {
            config.task = task
            if task == .regression { config.numLabels = 1 }
        }
        if config.task == .regression, let n = options.labelNames?.count ?? options.numLabels, n != 1 {
            throw TxfError("a regression model has one output; --num-labels / --label-names give \(n)")
        }
        config.numLabels = options.labelNames?.count ?? options.numLabels ?? config.numLabels
        try config.validate()
        let labelNames = options.labelNames ?? configLabelNames(raw, count: config.numLabels)
            ?? (0 ..< config.numLabels).map { "LABEL_\($0)" }

        // Vocabulary and tokenizer.
        let vocabulary: Vocabulary
        vocabulary = try Vocabulary(contentsOf: vocabPath)
        let lines = try vocabLines(vocabPath)
        guard lines.count == vocabulary.count else { throw TxfError("\(vocabPath): cannot split into lines consistently") }
        guard vocabulary.count == config.vocabSize else {
            throw TxfError("\(vocabPath) has \(vocabulary.count) tokens but \(configURL.path) says vocab_size \(config.vocabSize)")
        }
        let lowercase = try options.lowercase ?? tokenizerLowercase(dir) ?? true
        let tokenizer = TokenizerInfo(vocabulary: vocabulary, lowercase: lowercase, maxLength: config.maxPositionEmbeddings)

        // Weights: HF initialisation first (the head's values), then everything the file has.
        let weights = try SafeTensorsFile(path: weightsPath)
        let model = try BertClassifier(config: config, maxBatch: 1, maxSeqLen: 1)
        model.initializeWeights(seed: options.seed)
        let loaded = try loadTensors(weights, into: model)
        let sha = try SHA256.hex(ofFile: weightsPath)

        let meta = ArchiveMeta(model: config, vocab: lines, labelNames: labelNames, tokenizer: tokenizer, provenance: [
            "source_format": "huggingface-safetensors",
            "source_path": dir.standardizedFileURL.path,
            "source_sha256": sha,
            "classifier_seed": String(options.seed),
        ])
        try ModelArchive.write(to: options.output, table: model.table, parameters: model.parameters.pointer, meta: meta)
        return HFImportSummary(config: config, loaded: loaded.loaded, initialized: loaded.initialized, ignored: loaded.ignored,
                               sourceDTypes: loaded.dtypes, labelNames: labelNames, lowercase: lowercase, sourceSHA256: sha)
    }

    /// Copies every tensor of `model.table` that `weights` holds (with or without `bert.`).
    static func loadTensors(_ weights: SafeTensorsFile, into model: BertClassifier)
        throws -> (loaded: [String], initialized: [String], ignored: [String], dtypes: [String]) {
        let table = model.table
        var sourceName: [String: String] = [:]  // txf name -> safetensors name
        var ignored: [String] = []
        for entry in weights.entries {
            let name = entry.name.hasPrefix("bert.") ? String(entry.name.dropFirst(5)) : entry.name
            guard let info = table[name] else { ignored.append(entry.name); continue }
            if let other = sourceName[name] {
                throw TxfError("\(weights.path) holds both \"\(other)\" and \"\(entry.name)\"; which one is \(name) is ambiguous")
            }
            guard entry.shape == info.shape else {
                let hint = name.hasPrefix("classifier.") ? " (a head for \(entry.shape.first ?? 0) labels; pass --num-labels \(entry.shape.first ?? 0))" : ""
                throw TxfError("\(weights.path): tensor \"\(entry.name)\" has shape \(entry.shape) but config.json implies \(info.shape)\(hint)")
            }
            guard entry.dtype.convertsToFloat else {
                throw TxfError("\(weights.path): tensor \"\(entry.name)\" has dtype \(entry.dtype.rawValue); txf reads F32, F16, BF16 or F64")
            }
            sourceName[name] = entry.name
        }
        var loaded: [String] = [], initialized: [String] = [], dtypes = Set<String>()
        for info in table.entries {
            guard let source = sourceName[info.name] else {
                if info.name.hasPrefix("classifier.") || info.name.hasPrefix("pooler.") {
                    initialized.append(info.name)
                    continue
                }
                throw TxfError("\(weights.path) lacks tensor \"\(info.name)\" (or \"bert.\(info.name)\") of shape \(info.shape), which config.json's architecture needs")
            }
            try weights.readFloats(source, into: model.parameter(info.name))
            loaded.append(info.name)
            dtypes.insert(weights[source]!.dtype.rawValue)
        }
        return (loaded, initialized, ignored, dtypes.sorted())
    }

    /// config.json as a JSON object (for the keys `ModelConfig` does not keep).
    static func rawConfig(_ url: URL) throws -> [String: Any] {
        guard let data = try? Data(contentsOf: url),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw TxfError("\(url.path) is not a JSON object")
        }
        return object
    }

    /// `id2label` values in id order when it has exactly `count` entries keyed 0..<count.
    static func configLabelNames(_ raw: [String: Any], count: Int) -> [String]? {
        guard let map = raw["id2label"] as? [String: Any], map.count == count else { return nil }
        var names: [String] = []
        for id in 0 ..< count {
            guard let name = map[String(id)] as? String else { return nil }
            names.append(name)
        }
        return names
    }

    /// tokenizer_config.json's `do_lower_case`, or nil when the file or key is absent.
    static func tokenizerLowercase(_ dir: URL) throws -> Bool? {
        let url = dir.appendingPathComponent("tokenizer_config.json")
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return try rawConfig(url)["do_lower_case"] as? Bool
    }

    /// vocab.txt's lines, split as `Vocabulary` (and Hugging Face's `load_vocab`) split them:
    /// at `\n`, `\r\n` or `\r`, a final line without a newline kept.
    static func vocabLines(_ path: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else { throw TxfError("cannot read \(path)") }
        let text = String(decoding: data, as: UTF8.self)
        var lines: [String] = [], current = String.UnicodeScalarView(), afterCR = false
        for s in text.unicodeScalars {
            if s == "\n" && afterCR { afterCR = false; continue }
            afterCR = s == "\r"
            if s == "\n" || s == "\r" { lines.append(String(current)); current = .init() } else { current.append(s) }
        }
        if !current.isEmpty { lines.append(String(current)) }
        return lines
    }
}
