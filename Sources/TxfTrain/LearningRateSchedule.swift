import Foundation

/// The learning rate as a pure function of the optimizer step: linear warmup, then decay.
///
/// Step s counts optimizer steps from 0 (the first update is s = 0). With peak η, W warmup
/// steps and T steps in all:
///
///     s < W:   η · (s + 1) / W                       (reaches η on the last warmup step)
///     s ≥ W:   p = (s − W) / (T − W) ∈ [0, 1)
///              linear    η · (1 − p)
///              cosine    η · ½ · (1 + cos π p)
///              constant  η
///
/// After warmup this is Hugging Face's `get_{linear,cosine,constant}_schedule_with_warmup`;
/// the warmup is shifted one step so that no step is taken with a rate of zero. Nothing is
/// carried between steps, so a resumed run needs only the step.
public struct LearningRateSchedule: Codable, Equatable, Sendable {
    public let kind: ScheduleKind
    /// Peak rate η.
    public let peak: Double
    /// Warmup steps W (0 = none).
    public let warmupSteps: Int
    /// Steps in all, T: the schedule ends here (the rate would reach zero at s = T).
    public let totalSteps: Int

    public init(kind: ScheduleKind, peak: Double, warmupSteps: Int, totalSteps: Int) {
        precondition(totalSteps > 0 && warmupSteps >= 0)
        self.kind = kind
        self.peak = peak
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
    }

    /// The rate for optimizer step `step` (0-based); steps past the end keep the end's value.
    public func rate(step: Int) -> Float {
        if step < warmupSteps { return Float(peak * Double(step + 1) / Double(warmupSteps)) }
        if kind == .constant { return Float(peak) }
        let span = max(1, totalSteps - warmupSteps)
        let progress = min(1, Double(step - warmupSteps) / Double(span))
        switch kind {
        case .linear: return Float(peak * (1 - progress))
        case .cosine: return Float(peak * 0.5 * (1 + cos(Double.pi * progress)))
        case .constant: return Float(peak)
        }
    }
}
