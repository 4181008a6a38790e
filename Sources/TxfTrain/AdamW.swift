/// AdamW: Adam with bias correction and decoupled weight decay (Loshchilov & Hutter), computed
/// as PyTorch's `torch.optim.AdamW` does, in one pass over flat buffers.
///
/// For each trainable element, at optimizer step t = s + 1 with rate η and gradient g:
///
///     θ ← θ · (1 − η λ)                       only where the tensor decays
///     m ← β₁ m + (1 − β₁) g
///     v ← β₂ v + (1 − β₂) g²
///     θ ← θ − (η / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
///
/// Biases and LayerNorm weights do not decay (`ParameterSegment.decays` says which do).
public struct AdamW: Sendable, Equatable, Codable {
    // Hyperparameters are Double, and the constants derived from them are rounded to Float
    // once, as PyTorch does with Python floats (1 − β₂ in Float would be 1.3e-5 off).
    public var beta1 = 0.9
    public var beta2 = 0.999
    public var epsilon = 1e-8
    /// λ, applied as θ · (1 − η λ).
    public var weightDecay: Double

    public init(weightDecay: Double, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8) {
        self.weightDecay = weightDecay
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    /// Updates `params` at every segment from `gradients · gradientScale`.
    ///
    /// - Parameters:
    ///   - params: the parameter buffer; a segment covers `params[paramOffset ..< +count]`.
    ///   - gradients, m, v: buffers in the gradient layout; a segment covers
    ///     `[gradientOffset ..< +count]` of each.
    ///   - step: optimizer step s, 0-based (bias correction uses t = s + 1).
    ///   - gradientScale: clipping factor folded into this pass (1 = unclipped).
    public func update(params: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>,
                       m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>,
                       segments: [ParameterSegment], step: Int, learningRate lr: Float,
                       gradientScale: Float = 1) {
        let t = Double(step + 1)
        let correction1 = 1 - pow(beta1, t)
        let correction2Root = Float((1 - pow(beta2, t)).squareRoot())
        let stepSize = Float(Double(lr) / correction1)
        let b1 = Float(beta1), b2 = Float(beta2), eps = Float(epsilon)
        let oneMinusB1 = Float(1 - beta1), oneMinusB2 = Float(1 - beta2)
        let decayFactor = Float(1 - Double(lr) * weightDecay)
        for segment in segments {
            let decay: Float = segment.decays ? decayFactor : 1
            let p = params + segment.paramOffset
            let g = gradients + segment.gradientOffset
            let mm = m + segment.gradientOffset
            let vv = v + segment.gradientOffset
            // Eight lanes at a time: the same IEEE operations in the same order as the scalar
            // tail (sqrt and division are correctly rounded in both), so the result does not
            // depend on where a segment's vector part ends. The compiler leaves the plain loop
            // scalar (the four pointers may alias), which made this a third of a small model's step.
            typealias V = SIMD8<Float>
            let n = segment.count, vectorEnd = n - n % V.scalarCount
            var i = 0
            while i < vectorEnd {
                let grad = load(g + i) * gradientScale
                let mi = b1 * load(mm + i) + oneMinusB1 * grad
                let vi = b2 * load(vv + i) + oneMinusB2 * grad * grad
                store(mi, mm + i)
                store(vi, vv + i)
                let denominator = vi.squareRoot() / correction2Root + eps
                store(load(p + i) * decay - stepSize * mi / denominator, p + i)
                i += V.scalarCount
            }
            while i < n {
                let grad = g[i] * gradientScale
                let mi = b1 * mm[i] + oneMinusB1 * grad
                let vi = b2 * vv[i] + oneMinusB2 * grad * grad
                mm[i] = mi
                vv[i] = vi
                let denominator = vi.squareRoot() / correction2Root + eps
                p[i] = p[i] * decay - stepSize * mi / denominator
                i += 1
            }
        }
    }

    @inline(__always)
    private func load(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    private func load(_ pointer: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    private func store(_ value: SIMD8<Float>, _ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD8<Float>.self)
    }
}

/// A run of trainable parameters that share a weight-decay rule, and where their gradients and
/// moments live (frozen tensors have no segment, so no gradient or moment storage).
public struct ParameterSegment: Sendable, Equatable, Codable {
    public let paramOffset: Int
    public let gradientOffset: Int
    public let count: Int
    public let decays: Bool

    public init(paramOffset: Int, gradientOffset: Int, count: Int, decays: Bool) {
        self.paramOffset = paramOffset
        self.gradientOffset = gradientOffset
        self.count = count
        self.decays = decays
    }

    /// Neighbouring segments with the same rule merged, so the update loop runs long.
    public static func coalesced(_ segments: [ParameterSegment]) -> [ParameterSegment] {
        var out = [ParameterSegment]()
        for s in segments where s.count > 0 {
            if let last = out.last, last.decays == s.decays,
               last.paramOffset + last.count == s.paramOffset,
               last.gradientOffset + last.count == s.gradientOffset {
                out[out.count - 1] = ParameterSegment(paramOffset: last.paramOffset, gradientOffset: last.gradientOffset,
                                                      count: last.count + s.count, decays: s.decays)
            } else {
                out.append(s)
            }
        }
        return out
    }
}

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
