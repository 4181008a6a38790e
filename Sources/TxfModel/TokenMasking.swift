import TxfCore

/// BERT's input corruption for masked-language-model training (Devlin et al. 2019; Hugging
/// Face's `DataCollatorForLanguageModeling`): each real token other than [CLS], [SEP], [PAD]
/// and [MASK] is picked with probability `rate`; a picked token is replaced by [MASK] (80 %),
/// by a uniformly random id of the vocabulary (10 %) or left as it is (10 %), and the model
/// predicts the original at every picked position.
///
/// Draws are a pure function of a key and the token's position (`RandomKey`): training keys
/// them by (seed, optimizer step, sample's position in the global batch), as dropout, so a run
/// masks the same tokens on any number of ranks and after a resume, and every epoch masks
/// afresh; evaluation keys them by dataset row alone, so every evaluation of a run (and of any
/// run on the same data) scores the same positions.
public struct TokenMasking: Sendable, Equatable {
    /// BERT's pick rate.
    public static let defaultRate: Float = 0.15
    /// Of the picked tokens: the share replaced by [MASK], and the share replaced by a random id
    /// (the rest are kept).
    public static let maskShare: Float = 0.8, randomShare: Float = 0.1

    public let maskId: Int32
    /// Ids never picked: [CLS], [SEP], [PAD], [MASK].
    public let skipped: Set<Int32>
    /// Random replacements are drawn from `0 ..< vocabSize`, as Hugging Face does.
    public let vocabSize: Int
    public let rate: Float

    public init(maskId: Int32, clsId: Int32, sepId: Int32, padId: Int32, vocabSize: Int, rate: Float = defaultRate) {
        precondition(rate > 0 && rate < 1, "mask rate \(rate) must be in (0, 1)")
        precondition(maskId >= 0 && Int(maskId) < vocabSize, "[MASK] id \(maskId) outside the vocabulary of \(vocabSize)")
        self.maskId = maskId
        skipped = [clsId, sepId, padId, maskId]
        self.vocabSize = vocabSize
        self.rate = rate
    }

    /// The key of a training sample: (seed, optimizer step, position in the global batch).
    public static func trainingKey(seed: UInt64, step: UInt64, sample: Int) -> RandomKey {
        RandomKey(seed: seed).with(keyTag).with(step).with(UInt64(sample))
    }

    /// The key of an evaluation row: its dataset row alone.
    public static func evaluationKey(row: Int) -> RandomKey {
        RandomKey(seed: 0).with(keyTag).with(UInt64.max).with(UInt64(row))
    }

    /// "mlm": keeps these streams apart from dropout's and the sampler's.
    static let keyTag: UInt64 = 0x6D6C6D

    /// Corrupts the `length` real tokens of one row in place and calls `picked(position,
    /// original id)` for each picked token, in position order.
    /// tokens: [length] -> the corrupted row.
    public func apply(_ tokens: UnsafeMutablePointer<Int32>, length: Int, key: RandomKey,
                      picked: (Int, Int32) -> Void) {
        for t in 0 ..< length where !skipped.contains(tokens[t]) {
            let c = 3 * UInt64(t)
            guard key.uniform(c) < rate else { continue }
            let original = tokens[t], choice = key.uniform(c + 1)
            if choice < Self.maskShare {
                tokens[t] = maskId
            } else if choice < Self.maskShare + Self.randomShare {
                tokens[t] = Int32(key.below(vocabSize, c + 2))
            }
            picked(t, original)
        }
    }
}
