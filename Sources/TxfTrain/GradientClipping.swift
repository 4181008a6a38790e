/// Global gradient-norm clipping, as `torch.nn.utils.clip_grad_norm_`.
///
/// The norm is ‖g‖₂ over every trainable gradient together, its squares summed in Double
/// (`DataParallelUpdate.gradientNorm`: each rank over its shard, then one all-reduce, so every
/// rank gets the same norm). When it
/// exceeds `maxNorm` the gradient is scaled by maxNorm / (‖g‖ + 1e-6); the scale is returned
/// rather than applied, and AdamW folds it into its single pass over the buffers.
public enum GradientClipping {
    /// Σ g² of `count` floats at `gradients`, in Double.
    public static func sumOfSquares(_ gradients: UnsafePointer<Float>, count: Int) -> Double {
        // Four partial sums: independent chains let the loop pipeline; the fixed order keeps
        // the result a pure function of the buffer.
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
        var i = 0
        while i + 4 <= count {
            let a = Double(gradients[i]), b = Double(gradients[i + 1])
            let c = Double(gradients[i + 2]), d = Double(gradients[i + 3])
            s0 += a * a; s1 += b * b; s2 += c * c; s3 += d * d
            i += 4
        }
        while i < count { let a = Double(gradients[i]); s0 += a * a; i += 1 }
        return (s0 + s1) + (s2 + s3)
    }

    /// The factor to multiply gradients by: min(1, maxNorm / (norm + 1e-6)); 1 when maxNorm is 0
    /// (clipping off).
    public static func scale(norm: Double, maxNorm: Double) -> Float {
        guard maxNorm > 0 else { return 1 }
        let coefficient = maxNorm / (norm + 1e-6)
        return coefficient < 1 ? Float(coefficient) : 1
    }
}
