import TxfCore

extension BertClassifier {
    /// Starts the LoRA adapters as PEFT does by default: B = 0 (so the adapted model equals the
    /// base model) and A ~ U(−1/√in, 1/√in), which is `kaiming_uniform_(a=√5)` on [r, in].
    /// Draws are keyed by (seed, tensor name) like `initializeWeights`. No-op without LoRA.
    public func initializeAdapters(seed: UInt64) {
        guard lora != nil else { return }
        let root = RandomKey(seed: seed).with(0x6C6F7261)  // "lora"
        for e in table.entries where LoRAConfig.isAdapter(e.name) {
            let p = parameters.pointer + e.offset
            if e.name.hasSuffix(".lora_B.weight") {
                p.update(repeating: 0, count: e.count)
            } else {
                let bound = 1 / Float(e.shape[1]).squareRoot()
                let key = root.with(Self.nameHash(e.name))
                for i in 0 ..< e.count { p[i] = bound * (2 * key.uniform(UInt64(i)) - 1) }
            }
        }
        parametersDidChange()
    }
}

/// Folding LoRA updates into base weights.
public enum LoRAMerge {
    /// W[out, in] += scale · B[out, r] · A[r, in], in fp32.
    public static func fold(weight: UnsafeMutablePointer<Float>, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                            out: Int, in inFeatures: Int, rank: Int, scale: Float) {
        gemm(m: out, n: inFeatures, k: rank, alpha: scale, a: b, b: a, beta: 1, c: weight)
    }
}

extension BertClassifier {
    /// Adds the adapter branch of `target` in block `layer` to the base layer's output y
    /// (no-op when that layer is not adapted). x: [T, in], y: [T, out].
    @inline(__always)
    func loraForward(_ layer: Int, _ target: LoRATarget, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                     _ sh: PassShape) {
        guard let lora, let slot = lora.slot(layer, target) else { return }
        lora.forward(slot, x: x, y: y, lengths: acts.lengths, samples: acts.samples, sh)
    }

    /// Backward of `loraForward`: adds the adapter gradients and, when dx is given, the branch's
    /// input gradient into dx. dy: [T, out], x: [T, in], dx: [T, in].
    @inline(__always)
    func loraBackward(_ layer: Int, _ target: LoRATarget, dy: UnsafePointer<Float>, x: UnsafePointer<Float>,
                      dx: UnsafeMutablePointer<Float>?, _ sh: PassShape) {
        guard let lora, let slot = lora.slot(layer, target) else { return }
        lora.backward(slot, dy: dy, x: x, dx: dx, sh)
    }
}
