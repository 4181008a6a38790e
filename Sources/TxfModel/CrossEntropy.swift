import Foundation

/// Softmax cross-entropy over `classes` logits per sample:
/// `loss_b = logsumexp(z_b) − z_b[label_b]`.
public enum CrossEntropy {
    /// logits: [batch, classes], labels: [batch] in 0..<classes -> probs: [batch, classes]
    /// (softmax, saved for backward), losses: [batch]; returns Σ_b loss_b accumulated in Double.
    @discardableResult
    public static func forward(
        logits: UnsafePointer<Float>, labels: UnsafePointer<Int32>,
        probs: UnsafeMutablePointer<Float>, losses: UnsafeMutablePointer<Float>,
        batch: Int, classes: Int
    ) -> Double {
        var total: Double = 0
        for b in 0 ..< batch {
            let z = logits + b * classes, pr = probs + b * classes
            var m = -Float.infinity
            for c in 0 ..< classes { m = max(m, z[c]) }
            var sum: Float = 0
            for c in 0 ..< classes { let e = exp(z[c] - m); pr[c] = e; sum += e }
            for c in 0 ..< classes { pr[c] /= sum }
            let loss = log(sum) + m - z[Int(labels[b])]
            losses[b] = loss
            total += Double(loss)
        }
        return total
    }

    /// Differentiates `scale · Σ_b loss_b`: `dz_b = scale · (softmax(z_b) − onehot(label_b))`.
    /// probs: [batch, classes] from forward, labels: [batch] -> dlogits: [batch, classes] (overwritten).
    public static func backward(
        probs: UnsafePointer<Float>, labels: UnsafePointer<Int32>, dlogits: UnsafeMutablePointer<Float>,
        scale: Float, batch: Int, classes: Int
    ) {
        for b in 0 ..< batch {
            for c in 0 ..< classes { dlogits[b * classes + c] = scale * probs[b * classes + c] }
            dlogits[b * classes + Int(labels[b])] -= scale
        }
    }
}
