import TxfCore
import TxfModel
import TxfStore

extension ModelArchive {
    /// Refuses the model file or checkpoint at `path` when running it here would not fit in
    /// memory (`ModelConfig.checkFits`), reading only its metadata, so that a file claiming
    /// absurd sizes is refused before its tensors are allocated. The message names the stored
    /// field at fault ("num_hidden_layers of m.h5") or `batchFlag`.
    /// - Parameters:
    ///   - maxBatch: rows per forward pass; `maxSeqLen`: tokens per row (nil: the model's own
    ///     max length, as `StoredModel.maxLength`).
    public static func checkFits(path: String, maxBatch: Int, maxSeqLen: Int? = nil, batchFlag: String,
                                 workload: MemoryEstimate.Workload, ranksOnHost: Int = 1) throws {
        let meta = try ModelArchive(path: path).meta
        let config = meta.model
        let positions = config.maxPositionEmbeddings
        let length = max(1, min(positions, maxSeqLen ?? meta.tokenizer?.maxLength ?? positions))
        let lora = workload == .inference ? nil : meta.lora?.config
        try lora?.validate(for: config)
        try config.checkFits(maxBatch: maxBatch, maxSeqLen: length, lora: lora, workload: workload,
                             ranksOnHost: ranksOnHost) { factor in
            switch factor {
            case .batch: batchFlag
            case .sequenceLength: "the longest row"
            case .loraRank: "lora rank of \(path)"
            default: "\(factor.rawValue) of \(path)"
            }
        }
    }
}
