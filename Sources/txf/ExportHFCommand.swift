import ArgumentParser
import Foundation
import TxfCore
import TxfStore

struct ExportHF: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-hf",
        abstract: "Write a txf checkpoint or model file as a Hugging Face BertForSequenceClassification directory.",
        discussion: """
        Writes config.json (with id2label / label2id from the stored label names), model.safetensors \
        (float32, Hugging Face names: `bert.` prefix, `classifier.*`), vocab.txt, \
        tokenizer_config.json and special_tokens_map.json into OUTPUT, which is created if needed. \
        Load it with:

          from transformers import AutoModelForSequenceClassification, AutoTokenizer
          model = AutoModelForSequenceClassification.from_pretrained("OUTPUT")
          tokenizer = AutoTokenizer.from_pretrained("OUTPUT")

        Example: txf export-hf --model runs/sst2/final.h5 --output exported/
        """)

    @Option(help: "A txf checkpoint (txf-train) or model file (txf import-hf).")
    var model: String

    @Option(help: "Directory to write.")
    var output: String

    func run() throws {
        let summary = try HFExport.run(modelPath: model, outputDirectory: output)
        print("wrote \(output): \(summary.tensorCount) tensors, labels \(summary.labelNames.joined(separator: ", "))")
        for file in summary.files { print("  \(file)") }
        if summary.vocabHashMatches == false {
            print("note: the written vocab.txt differs byte-wise from the original (line endings); the tokens are the same")
        }
    }
}
