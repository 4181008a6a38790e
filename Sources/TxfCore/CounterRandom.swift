/// Counter-based random numbers: every draw is a pure function of a key and a counter.
///
/// A key is derived from a seed by folding in values (`RandomKey(seed: s).with(step).with(sample)`),
/// so a dropout mask or a shuffle can be recomputed anywhere — on another rank, after a resume —
/// without carrying generator state. Mixing is SplitMix64's finalizer (Stafford variant 13),
/// which passes BigCrush when used on a counter.
public struct RandomKey: Sendable, Hashable {
    public let state: UInt64

    public init(seed: UInt64) { state = RandomKey.mix(seed &+ 0x9E37_79B9_7F4A_7C15) }

    /// A child key: the same value folded into the same key always gives the same child.
    @inlinable
    public func with(_ value: UInt64) -> RandomKey {
        RandomKey(rawState: RandomKey.mix(state ^ RandomKey.mix(value &+ 0xD1B5_4A32_D192_ED03)))
    }

    /// 64 random bits for `counter` under this key.
    @inlinable
    public func bits(_ counter: UInt64) -> UInt64 {
        RandomKey.mix(state &+ (counter &+ 1) &* 0x9E37_79B9_7F4A_7C15)
    }

    /// Uniform in [0, 1) with 24 bits of resolution (exactly representable as Float).
    @inlinable
    public func uniform(_ counter: UInt64) -> Float {
        Float(bits(counter) >> 40) * (1.0 / 16_777_216.0)
    }

    /// Uniform integer in 0..<bound (bound > 0), by multiply-shift on 64 bits (bias < 2⁻³²
    /// for the bounds used here: dataset sizes).
    @inlinable
    public func below(_ bound: Int, _ counter: UInt64) -> Int {
        Int(UInt64(bound).multipliedFullWidth(by: bits(counter)).high)
    }

    /// A standard normal draw (Box–Muller on two uniforms taken at 2·counter and 2·counter+1).
    @inlinable
    public func normal(_ counter: UInt64) -> Float {
        let u1 = Double(bits(2 &* counter) >> 11) * 0x1p-53
        let u2 = Double(bits(2 &* counter &+ 1) >> 11) * 0x1p-53
        let radius = (-2 * _logDouble(1 - u1)).squareRoot()
        return Float(radius * _cosDouble(2 * Double.pi * u2))
    }

    @usableFromInline
    init(rawState: UInt64) { state = rawState }

    @usableFromInline
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

#if canImport(Glibc)
import Glibc
@usableFromInline func _logDouble(_ x: Double) -> Double { Glibc.log(x) }
@usableFromInline func _cosDouble(_ x: Double) -> Double { Glibc.cos(x) }
#else
import Darwin
@usableFromInline func _logDouble(_ x: Double) -> Double { Darwin.log(x) }
@usableFromInline func _cosDouble(_ x: Double) -> Double { Darwin.cos(x) }
#endif

/// Fisher–Yates shuffle driven by a RandomKey: the same key always gives the same order,
/// independent of the Swift standard library's shuffle algorithm.
public func shuffled(_ count: Int, key: RandomKey) -> [Int] {
    var order = Array(0..<count)
    var i = count - 1
    while i > 0 {
        let j = key.below(i + 1, UInt64(i))
        order.swapAt(i, j)
        i -= 1
    }
    return order
}
