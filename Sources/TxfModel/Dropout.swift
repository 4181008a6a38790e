import TxfCore

/// Inverted dropout with masks drawn from a counter-based key, so a mask is a pure function of
/// (seed, optimizer step, sample index within the global batch, site, position, feature) —
/// never of rank, micro-step or padded buffer offset (docs/ARCHITECTURE.md, "One optimizer step, exactly").
///
/// Forward: `keep = uniform(key, counter) ≥ p`, `y = x · keep / (1 − p)`, with the 24-bit
/// uniform `key.uniform(c)` = bits 40–63 of `key.bits(c)`, compared as an integer.
public enum Dropout {
    /// x: [count] -> y: [count] (may alias x); mask: [count] receives keep (1) / drop (0).
    /// Element i uses counter `counter + i` of `key`.
    public static func forward(
        x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, mask: UnsafeMutablePointer<UInt8>,
        count: Int, p: Float, key: RandomKey, counter: UInt64
    ) {
        let scale = 1 / (1 - p)
        // u / 2²⁴ ≥ p  ⇔  u ≥ ⌈p · 2²⁴⌉ (p · 2²⁴ is exact in Float): the same masks as
        // `key.uniform(c) >= p`, without the conversion.
        let threshold = UInt64((p * 16_777_216).rounded(.up))
        for i in 0 ..< count {
            let keep = key.bits(counter &+ UInt64(i)) >> 40 >= threshold
            mask[i] = keep ? 1 : 0
            y[i] = keep ? x[i] * scale : 0
        }
    }

    /// Differentiates `y = x · keep / (1 − p)`: `dx = dy · keep / (1 − p)`.
    /// dy, mask: [count] -> dx: [count] (overwritten; may alias dy).
    public static func backward(
        dy: UnsafePointer<Float>, mask: UnsafePointer<UInt8>, dx: UnsafeMutablePointer<Float>, count: Int, p: Float
    ) {
        let scale = 1 / (1 - p)
        for i in 0 ..< count { dx[i] = dy[i] * (Float(mask[i]) * scale) }
    }
}

/// The dropout masks of one training step: probabilities and the (seed, step) key from which
/// every site's per-sample key is derived.
public struct DropoutStream: Sendable, Equatable {
    /// Drop probability of hidden states (embeddings, attention output, FFN output, pooled).
    public let hiddenP: Float
    /// Drop probability of attention probabilities.
    public let attentionP: Float
    /// Key of (seed, step), domain-separated from other uses of the seed.
    public let stepKey: RandomKey

    /// Domain tag folded into the seed so dropout never shares draws with weight init or shuffles.
    static let domain: UInt64 = 0x64726F_706F7574  // "dropout"

    public init(seed: UInt64, step: UInt64, hiddenP: Float, attentionP: Float) {
        self.hiddenP = hiddenP
        self.attentionP = attentionP
        stepKey = RandomKey(seed: seed).with(DropoutStream.domain).with(step)
    }

    /// Key of one dropout site (see `DropoutSite`) for the sample at `sampleIndex` of the global batch.
    @inline(__always)
    public func key(sample sampleIndex: Int, site: UInt64) -> RandomKey {
        stepKey.with(UInt64(sampleIndex)).with(site)
    }
}

/// Numbering of the dropout sites of the model; counters within a site are
/// `position · width + feature` (attention: `(head · P + query) · P + key`, P = max positions),
/// which do not depend on how the micro-batch is padded.
public enum DropoutSite {
    /// Dropout after the embedding LayerNorm.
    public static let embeddings: UInt64 = 0
    /// Dropout on the attention probabilities of block `layer`.
    public static func attentionProbs(_ layer: Int) -> UInt64 { 1 + 3 * UInt64(layer) }
    /// Dropout on the attention output projection of block `layer`.
    public static func attentionOutput(_ layer: Int) -> UInt64 { 2 + 3 * UInt64(layer) }
    /// Dropout on the FFN output of block `layer`.
    public static func ffnOutput(_ layer: Int) -> UInt64 { 3 + 3 * UInt64(layer) }
    /// Dropout on the pooled [CLS] vector before the classifier (after all blocks).
    public static func classifier(layers: Int) -> UInt64 { 1 + 3 * UInt64(layers) }
}
