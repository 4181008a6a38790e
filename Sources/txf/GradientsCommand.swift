import ArgumentParser
import Foundation
import TxfCore
import TxfData
import TxfEval

struct Gradients: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gradients",
        abstract: "Write the loss, logits and every parameter's gradient on a few rows, for comparing implementations.",
        discussion: """
        Runs the model on rows START:END of a prepared dataset with dropout off, as one batch, \
        and writes to --out (HDF5): /loss (mean cross-entropy, float64), /logits [rows, labels], \
        /labels, and /gradients/<name> for every parameter under its Hugging Face name \
        (bert.embeddings.word_embeddings.weight, …, classifier.weight), the gradient of the mean \
        loss as PyTorch's .grad would hold it. A LoRA checkpoint gives its adapters' and head's \
        gradients (bert.…query.lora_A.weight, …).

        Compare with transformers: load `txf export-hf` output, feed the same token ids \
        (attention_mask 1 on real tokens), model.eval(), loss.backward().

        Example: txf gradients --model runs/sst2/final.h5 --data data/dev.h5 --rows 0:8 --out grads.h5
        """)

    @Option(help: "A txf checkpoint (full or LoRA) or model file.")
    var model: String

    @Option(help: "Prepared dataset (.h5) with labels.")
    var data: String

    @Option(help: "Rows START:END (END exclusive).")
    var rows: String = "0:8"

    @Option(help: "HDF5 file to write.")
    var out: String

    func run() throws {
        let parts = rows.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let start = Int(parts[0]), let end = Int(parts[1]), start < end else {
            throw ValidationError("--rows takes START:END with START < END, e.g. 0:8")
        }
        let dataset = try TokenDataset(path: data)
        let dump = try GradientDump.compute(modelPath: model, dataset: dataset, rows: start ..< end)
        try dump.write(to: out, modelPath: model, dataPath: data, rows: start ..< end)
        print("wrote \(out): loss \(dump.loss), logits [\(end - start), \(dump.numLabels)], \(dump.gradients.count) gradients")
    }
}
