/// Squared error of a regression model's one logit per sample: `loss_b = (z_b − y_b)²`.
///
/// Summed over the micro-batch and scaled by 1/G like `CrossEntropy`, so the step's loss is the
/// mean over the global batch, transformers' `MSELoss()(logits.squeeze(), labels.squeeze())`.
public enum MeanSquaredError {
    /// logits: [batch] (one per sample), targets: [batch] -> losses: [batch]; returns Σ_b loss_b
    /// accumulated in Double.
    @discardableResult
    public static func forward(
        logits: UnsafePointer<Float>, targets: UnsafePointer<Float>, losses: UnsafeMutablePointer<Float>, batch: Int
    ) -> Double {
        var total: Double = 0
        for b in 0 ..< batch {
            let error = logits[b] - targets[b]
            losses[b] = error * error
            total += Double(losses[b])
        }
        return total
    }

    /// Differentiates `scale · Σ_b loss_b`: `dz_b = 2 · scale · (z_b − y_b)`.
    /// logits, targets: [batch] -> dlogits: [batch] (overwritten).
    public static func backward(
        logits: UnsafePointer<Float>, targets: UnsafePointer<Float>, dlogits: UnsafeMutablePointer<Float>,
        scale: Float, batch: Int
    ) {
        for b in 0 ..< batch { dlogits[b] = 2 * scale * (logits[b] - targets[b]) }
    }
}
