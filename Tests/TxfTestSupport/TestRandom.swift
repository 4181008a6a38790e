/// A tiny deterministic generator so every run checks the same matrices.
public struct TestRandom {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    /// Uniform in [-1, 1).
    public mutating func next() -> Float {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(state >> 40) / Float(1 << 23) - 1
    }
    public mutating func array(_ count: Int) -> [Float] { (0..<count).map { _ in next() } }
}
