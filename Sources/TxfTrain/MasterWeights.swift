import TxfCore
import TxfMatmul

/// Mixed precision's fp32 master weights, for the bf16 precisions (`MatmulMode.roundsToBF16`).
///
/// AdamW updates the masters; the model's trainable parameters hold their bf16 roundings
/// (as floats), which every product would round to anyway. Each rank updates the masters of
/// its shard only (ZeRO stage 1) and the roundings go to the other ranks as bf16, half the
/// bytes of fp32, so every rank computes with the same parameters. As in DeepSpeed's bf16
/// mode, every trainable tensor is rounded, LayerNorm and biases included (their arithmetic
/// stays fp32); the frozen base of a LoRA run stays as loaded.
///
/// The masters are taken from the model's parameters at the first step (`capture`), so
/// whatever loaded them — a checkpoint, `--init`, a random start — needs no call here, and a
/// resumed run rounds exactly where the uninterrupted one did. A checkpoint stores the
/// masters (`TrainingStep.withCheckpointState`), so a run resumes bit for bit and continues
/// in fp32 or on another world size from the full-precision state.
final class MasterWeights {
    /// [trainableCount] fp32 masters; current on this rank's shard (on all of them after
    /// `gatherAll`).
    let values: FloatBuffer
    /// [trainableCount] bf16 staging for the gather.
    private let words: UnsafeMutablePointer<BFloat16>
    /// Whether `values` holds the masters (false until the first step).
    private(set) var isCaptured = false

    init(trainableCount: Int) {
        values = FloatBuffer(count: trainableCount)
        words = .allocate(capacity: max(trainableCount, 1))
        words.initialize(repeating: BFloat16(bitPattern: 0), count: max(trainableCount, 1))
    }

    deinit { words.deallocate() }

    /// Takes the masters from `parameters` (their trainable prefix) and rounds that prefix to
    /// bf16 in place. Once: later calls do nothing.
    func capture(from parameters: FloatBuffer) {
        guard !isCaptured else { return }
        values.pointer.update(from: parameters.pointer, count: values.count)
        BFloat16Conversion.roundInPlace(parameters.pointer, count: values.count)
        isCaptured = true
    }

    /// After AdamW: rounds this rank's masters to bf16, all-gathers the words by `update`'s
    /// ownership and widens them into the trainable prefix of `parameters`.
    func gather(into parameters: FloatBuffer, update: DataParallelUpdate) {
        for range in update.owned {
            BFloat16Conversion.round(values.pointer + range.lowerBound, to: words + range.lowerBound, count: range.count)
        }
        words.withMemoryRebound(to: UInt16.self, capacity: values.count) { update.gatherTrainable($0) }
        BFloat16Conversion.widen(words, to: parameters.pointer, count: values.count)
    }

    /// Every rank's masters to every rank, then `body` with `parameters` whose trainable
    /// prefix holds them; afterwards the prefix is rounded back, bitwise what it was (each
    /// rounding is the one the gather delivered).
    func withMasters<Result>(in parameters: FloatBuffer, update: DataParallelUpdate,
                             _ body: (UnsafePointer<Float>) throws -> Result) rethrows -> Result {
        guard isCaptured else { return try body(parameters.pointer) }
        update.gatherTrainable(values)
        parameters.pointer.update(from: values.pointer, count: values.count)
        defer { BFloat16Conversion.roundInPlace(parameters.pointer, count: values.count) }
        return try body(parameters.pointer)
    }
}
