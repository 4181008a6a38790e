import Foundation
import TxfCore
import TxfModel
import TxfText

/// What an export wrote.
public struct HFExportSummary: Sendable {
    /// Paths of the files written, in writing order.
    public let files: [String]
    /// Tensors in model.safetensors.
    public let tensorCount: Int
    public let labelNames: [String]
    /// Whether the written vocab.txt has the SHA-256 the model records (nil when it records none).
    public let vocabHashMatches: Bool?
}

/// Writes a txf model as a Hugging Face `BertForSequenceClassification` directory that
/// `AutoModelForSequenceClassification.from_pretrained(dir)` and `AutoTokenizer.from_pretrained(dir)`
/// load with no missing or unexpected keys.
///
/// Files: config.json (txf's config keys plus `architectures`, `id2label`, `label2id`);
/// model.safetensors (F32; `bert.` + the txf name for embeddings, encoder and pooler,
/// `classifier.weight` [L, D] and `classifier.bias` [L] as they are; `__metadata__` format
/// "pt", which transformers requires); vocab.txt (the stored lines, `\n`-terminated);
/// tokenizer_config.json (`BertTokenizer`, `do_lower_case` from the stored tokenizer,
/// `model_max_length` = max_position_embeddings) and special_tokens_map.json.
public enum HFExport {
    /// Reads `modelPath` (checkpoint or model file) and exports it into `directory`.
    public static func run(modelPath: String, outputDirectory: String) throws -> HFExportSummary {
        try export(try StoredModel(path: modelPath), to: outputDirectory)
    }

    /// The Hugging Face state-dict name of txf tensor `name`.
    public static func hfName(_ name: String) -> String {
        name.hasPrefix("classifier.") ? name : "bert." + name
    }

    public static func export(_ model: StoredModel, to directory: String) throws -> HFExportSummary {
        // BertForSequenceClassification's pooler reads [CLS]; its config has no pooling choice.
        guard model.config.pooling == .cls else {
            throw TxfError("the model pools over each row's tokens (classifier_pooling \"\(model.config.pooling.rawValue)\"); Hugging Face's BertForSequenceClassification reads [CLS] only, so export-hf takes cls-pooled models; use txf predict and txf evaluate with this one")
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw TxfError("--output \(directory) is a file; export-hf writes a directory")
        }
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw TxfError("cannot create \(directory): \(error.localizedDescription)")
        }
        let dir = URL(fileURLWithPath: directory)
        var files: [String] = []
        func write(_ name: String, _ data: Data) throws {
            let url = dir.appendingPathComponent(name)
            do { try data.write(to: url, options: .atomic) } catch {
                throw TxfError("cannot write \(url.path): \(error.localizedDescription)")
            }
            files.append(url.path)
        }

        let labels = model.labelNamesOrDefault
        try write("config.json", try configJSON(model.config, labelNames: labels))

        let weights = dir.appendingPathComponent("model.safetensors").path
        let tensors = model.table.entries.map { e in
            SafeTensorsWriter.Tensor(name: hfName(e.name), shape: e.shape,
                                     floats: UnsafeBufferPointer(start: model.parameters.pointer + e.offset, count: e.count))
        }
        try SafeTensorsWriter.write(to: weights, tensors: tensors, metadata: ["format": "pt"])
        files.append(weights)

        let vocabText = Data(model.vocab.map { $0 + "\n" }.joined().utf8)
        try write("vocab.txt", vocabText)
        try write("tokenizer_config.json", try json(tokenizerConfig(model)))
        try write("special_tokens_map.json", try json(specialTokens))
        let matches = model.tokenizer.map { $0.vocabSHA256 == SHA256.hex(of: vocabText) }
        return HFExportSummary(files: files, tensorCount: tensors.count, labelNames: labels, vocabHashMatches: matches)
    }

    /// config.json: the model config's Hugging Face keys plus what `from_pretrained` needs to
    /// build `BertForSequenceClassification` with these labels.
    static func configJSON(_ config: ModelConfig, labelNames: [String]) throws -> Data {
        guard var object = try JSONSerialization.jsonObject(with: try config.jsonData()) as? [String: Any] else {
            throw TxfError("model config did not encode as a JSON object")
        }
        object["architectures"] = ["BertForSequenceClassification"]
        object["id2label"] = Dictionary(uniqueKeysWithValues: labelNames.enumerated().map { (String($0), $1) })
        var label2id: [String: Int] = [:]
        for (id, name) in labelNames.enumerated() where label2id[name] == nil { label2id[name] = id }
        object["label2id"] = label2id
        object["problem_type"] = config.task.problemType
        return try json(object)
    }

    /// special_tokens_map.json: the five tokens txf's `Vocabulary` requires, by role.
    static let specialTokens: [String: String] = [
        "cls_token": "[CLS]", "mask_token": "[MASK]", "pad_token": "[PAD]", "sep_token": "[SEP]", "unk_token": "[UNK]",
    ]

    static func tokenizerConfig(_ model: StoredModel) -> [String: Any] {
        var object: [String: Any] = specialTokens
        object["tokenizer_class"] = "BertTokenizer"
        object["do_lower_case"] = model.lowercase
        object["model_max_length"] = model.config.maxPositionEmbeddings
        object["tokenize_chinese_chars"] = true
        object["strip_accents"] = NSNull()  // follows do_lower_case, as txf's tokenizer does
        object["clean_up_tokenization_spaces"] = true
        return object
    }

    static func json(_ object: Any) throws -> Data {
        var data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        data.append(0x0A)
        return data
    }
}
