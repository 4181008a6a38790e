import ArgumentParser
import Foundation
import TxfCore
import TxfEval

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Classify texts with a txf checkpoint or model file.",
        discussion: """
        Tokenizes each text with the model's own vocab and casing (stored in the file), \
        truncated to the max length it was trained with, and prints the predicted label and \
        the class probabilities. A LoRA checkpoint is folded into its base model first (the \
        base file must still have the SHA-256 recorded at training).

        --json prints one object per line: {"label", "logits", "probabilities", "text"}.

        Examples:
          txf predict --model runs/sst2/final.h5 "a gorgeous, witty film" "a dull, lifeless mess"
          txf predict --model runs/sst2/final.h5 --json --input reviews.txt
        """)

    @Option(help: "A txf checkpoint (txf-train, full or LoRA) or model file (txf import-hf, txf merge).")
    var model: String

    @Option(help: "A text file with one text per line (empty lines skipped), predicted after the texts given as arguments.")
    var input: String?

    @Flag(help: "One JSON object per line instead of text.")
    var json = false

    @Option(help: "Texts per forward pass.")
    var batchSize = 32

    @OptionGroup var precision: PrecisionOption

    @Argument(help: "Texts to classify.")
    var texts: [String] = []

    func validate() throws {
        if texts.isEmpty && input == nil { throw ValidationError("give texts to classify, or --input FILE") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
    }

    func run() throws {
        var all = texts
        if let input {
            guard FileManager.default.fileExists(atPath: input) else { throw TxfError("--input \(input): no such file") }
            guard let text = try? String(contentsOfFile: input, encoding: .utf8) else {
                throw TxfError("--input \(input): cannot read it as UTF-8 text")
            }
            let lines = text.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline).map(String.init)
                .filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            guard !lines.isEmpty else { throw TxfError("--input \(input) holds no text to classify (no non-empty line)") }
            all += lines
        }
        let choice = try precision.resolved()
        FileHandle.standardError.write(Data((choice.startupLine + "\n").utf8))
        let predictor = try Predictor(path: model, batchSize: batchSize, matmul: choice.matmulMode)
        let names = predictor.stored.labelNamesOrDefault
        for prediction in try predictor.predict(all) {
            if json {
                print(prediction.json())
            } else {
                let probabilities = zip(names, prediction.probabilities).map { "\($0) \(String(format: "%.4f", $1))" }
                print("\(prediction.label)\t\(probabilities.joined(separator: ", "))\t\(prediction.text)")
            }
        }
    }
}
