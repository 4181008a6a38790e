import ArgumentParser
import Foundation
import TxfCore
import TxfModel
import TxfStore

struct ImportHF: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-hf",
        abstract: "Turn a Hugging Face BERT directory (config.json, vocab.txt, model.safetensors) into a txf model file.",
        discussion: """
        Reads the encoder and pooler weights from model.safetensors (F32; F16 and BF16 are converted \
        exactly), with or without the `bert.` prefix, and adds a classifier head initialised as \
        Hugging Face does (seeded by --seed). Buffers such as embeddings.position_ids and \
        pre-training heads are skipped. The output holds the weights under /params, the \
        config.json keys, the vocab and the tokenizer attributes, so `txf-train --init`, \
        `txf predict` and `txf export-hf` need nothing else. A missing or misshapen tensor is an \
        error naming it.

        The tokenizer's casing is --uncased or --cased when given, else tokenizer_config.json's \
        do_lower_case when the directory has one, else uncased (MiniLM, bert-base-uncased).

        Example: txf import-hf --model-dir ~/.cache/txf/minilm --output base.h5 --num-labels 2
        """)

    @Option(help: "Directory with config.json, vocab.txt and model.safetensors.")
    var modelDir: String

    @Option(help: "Model file to write, e.g. base.h5.")
    var output: String

    @Option(help: "Classes of the new classifier head (default: config.json's num_labels or id2label, else 2).")
    var numLabels: Int?

    @Option(help: "Comma-separated class names, index = label id (sets the class count).")
    var labelNames: String?

    @Option(help: "classification, or regression: a head of one output trained with mean squared error (default: config.json's problem_type, else classification).")
    var task: ModelTask?

    @Option(help: "What the classifier reads: cls (the [CLS] token's last hidden state, BERT's) or mean (the mean over each row's tokens, as sentence-transformers pools all-MiniLM-L6-v2; not exportable to BertForSequenceClassification) (default: config.json's classifier_pooling, else cls).")
    var pooling: Pooling?

    @Option(help: "Seed of the classifier's initial weights.")
    var seed: UInt64 = 0

    @Flag(help: "Casing of the tokenizer (default: tokenizer_config.json's do_lower_case, else uncased).")
    var casing: Casing?

    func validate() throws {
        if let n = numLabels, n < 1 { throw ValidationError("--num-labels must be at least 1") }
        if labelNames != nil && numLabels != nil { throw ValidationError("give --label-names or --num-labels, not both") }
    }

    func run() throws {
        let names = labelNames.map { $0.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) } }
        let options = HFImportOptions(modelDirectory: modelDir, output: output, numLabels: numLabels, labelNames: names,
                                      seed: seed, lowercase: casing?.lowercase, task: task, pooling: pooling)
        let summary = try HFImport.run(options)
        let c = summary.config
        print("wrote \(output): \(c.numHiddenLayers) layers, hidden \(c.hiddenSize), \(c.numAttentionHeads) heads, ffn \(c.intermediateSize), vocab \(c.vocabSize), \(c.task == .regression ? "regression (1 output)" : "\(c.numLabels) labels (\(summary.labelNames.joined(separator: ", ")))"), pooling \(c.pooling.rawValue)")
        print("  loaded \(summary.loaded.count) tensors (\(summary.sourceDTypes.joined(separator: ", "))) from model.safetensors, sha256 \(summary.sourceSHA256)")
        if !summary.initialized.isEmpty {
            print("  initialised (seed \(seed)): \(summary.initialized.joined(separator: ", "))")
        }
        if !summary.ignored.isEmpty {
            print("  ignored: \(summary.ignored.joined(separator: ", "))")
        }
        print("  tokenizer: \(summary.lowercase ? "uncased" : "cased"), vocab stored in the file")
    }
}
