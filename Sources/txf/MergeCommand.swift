import ArgumentParser
import Foundation
import TxfCore
import TxfStore

struct MergeLoRA: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Fold a LoRA checkpoint into its base model: a plain model file.",
        discussion: """
        For every adapted weight W [out, in] with adapters A [r, in] and B [out, r], writes \
        W + (alpha/r)·B·A (computed in fp32), with the checkpoint's classifier (and pooler), \
        vocab, label names and tokenizer. The base model is the file recorded in the checkpoint \
        (or --base); its SHA-256 must equal the recorded one. The output is a model file for \
        txf predict / evaluate / export-hf or txf-train --init.

        Example: txf merge --model runs/lora/final.h5 --output merged.h5
        """)

    @Option(help: "A LoRA checkpoint written by txf-train --mode lora.")
    var model: String

    @Option(help: "Model file to write.")
    var output: String

    @Option(help: "The base model, when it moved since training (its SHA-256 must still match).")
    var base: String?

    func run() throws {
        let summary = try Merge.run(modelPath: model, output: output, base: base)
        let c = summary.lora.config
        print("wrote \(output): folded \(summary.foldedWeights) weights (targets \(c.targets.map(\.rawValue).joined(separator: ",")), rank \(c.rank), scale \(c.scale)) into \(base ?? summary.lora.basePath)")
    }
}
