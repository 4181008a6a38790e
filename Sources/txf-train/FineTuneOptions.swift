import ArgumentParser
import TxfTrain

extension TrainingMode: ExpressibleByArgument {}

/// Fine-tuning a pretrained model (--init): everything, or LoRA adapters.
struct FineTuneOptions: ParsableArguments {
    @Option(help: "full: train every tensor; lora: freeze the --init model, train LoRA adapters and the classifier (default full).")
    var mode: TrainingMode?
    @Option(help: "LoRA rank r (default 8).") var loraRank: Int?
    @Option(help: "LoRA alpha; updates are scaled by alpha / r (default 16).") var loraAlpha: Double?
    @Option(help: "Dropout on the adapters' inputs (default 0.1).") var loraDropout: Double?
    @Option(help: "Adapted layers of every block, comma-separated: query, key, value, attention.output, intermediate, output (default query,value).")
    var loraTargets: String?
    @Flag(inversion: .prefixedNo, help: "With --mode lora, train the pooler too (default: frozen; the classifier always trains).")
    var trainPooler: Bool?

    func apply(to c: inout TrainConfig) {
        if let mode { c.mode = mode }
        if let loraRank { c.loraRank = loraRank }
        if let loraAlpha { c.loraAlpha = loraAlpha }
        if let loraDropout { c.loraDropout = loraDropout }
        if let loraTargets { c.loraTargets = loraTargets }
        if let trainPooler { c.trainPooler = trainPooler }
    }
}
