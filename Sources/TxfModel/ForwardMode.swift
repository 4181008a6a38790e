/// Whether a forward pass trains (dropout on, masks keyed by seed and optimizer step) or
/// evaluates (dropout off).
public enum ForwardMode: Sendable, Equatable {
    case eval
    case train(seed: UInt64, step: UInt64)
}
