/// A bfloat16 value: the upper 16 bits of an IEEE fp32 (1 sign, 8 exponent, 7 fraction bits).
///
/// The same exponent range as Float with 8 significant bits, which is why products can take
/// bf16 inputs with fp32 accumulation and no loss scaling. Laid out as one UInt16, so a buffer
/// of them is what oneDNN's `dnnl_bf16` expects.
public struct BFloat16: Hashable, Sendable, CustomStringConvertible {
    public var bitPattern: UInt16

    public init(bitPattern: UInt16) { self.bitPattern = bitPattern }

    /// Rounds to nearest, ties to even; NaN stays NaN (quiet, sign kept), ±inf stays ±inf, and
    /// values above the largest finite bf16 by half an ulp or more become inf.
    @inlinable
    public init(_ value: Float) { bitPattern = BFloat16.roundedBits(value.bitPattern) }

    /// The exact fp32 value.
    @inlinable
    public var float: Float { Float(bitPattern: UInt32(bitPattern) << 16) }

    public var description: String { "\(float)" }

    /// fp32 bits → bf16 bits, round to nearest even.
    ///
    /// Adding 0x7FFF plus the lowest kept bit carries into the kept half exactly when the
    /// dropped half is above one half, or equal to it with an odd kept half. NaN is handled
    /// apart because the carry could turn a NaN whose payload lies only in the dropped half
    /// into inf; setting the top fraction bit keeps it a (quiet) NaN.
    @inlinable
    static func roundedBits(_ bits: UInt32) -> UInt16 {
        if bits & 0x7FFF_FFFF > 0x7F80_0000 { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
        return UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
    }
}

extension Float {
    /// The value rounded to bf16 and back (what a bf16 product sees of it).
    @inlinable
    public var roundedToBFloat16: Float { BFloat16(self).float }
}

/// Buffer conversions between fp32 and bf16, eight lanes at a time.
public enum BFloat16Conversion {
    /// target[i] = bf16(source[i]), round to nearest even (see `BFloat16.init(_:)`).
    ///
    /// - Parameters:
    ///   - source: `count` floats.
    ///   - target: `count` bf16 values (may not overlap `source`).
    public static func round(_ source: UnsafePointer<Float>, to target: UnsafeMutablePointer<BFloat16>, count: Int) {
        let lanes = 8
        let vectorCount = count / lanes * lanes
        let sourceBytes = UnsafeRawPointer(source), targetBytes = UnsafeMutableRawPointer(target)
        let exponentMask = SIMD8<UInt32>(repeating: 0x7FFF_FFFF), infinity = SIMD8<UInt32>(repeating: 0x7F80_0000)
        let bias = SIMD8<UInt32>(repeating: 0x7FFF), one = SIMD8<UInt32>(repeating: 1)
        let quiet = SIMD8<UInt32>(repeating: 0x0040)
        var i = 0
        while i < vectorCount {
            let bits = sourceBytes.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<UInt32>.self)
            let rounded = (bits &+ bias &+ ((bits &>> 16) & one)) &>> 16
            let nan = (bits & exponentMask) .> infinity
            let kept = rounded.replacing(with: (bits &>> 16) | quiet, where: nan)
            targetBytes.storeBytes(of: SIMD8<UInt16>(truncatingIfNeeded: kept), toByteOffset: i * 2, as: SIMD8<UInt16>.self)
            i += lanes
        }
        while i < count {
            target[i] = BFloat16(source[i])
            i += 1
        }
    }

    /// target[i] = source[i] as fp32 (exact).
    public static func widen(_ source: UnsafePointer<BFloat16>, to target: UnsafeMutablePointer<Float>, count: Int) {
        let lanes = 8
        let vectorCount = count / lanes * lanes
        let sourceBytes = UnsafeRawPointer(source), targetBytes = UnsafeMutableRawPointer(target)
        var i = 0
        while i < vectorCount {
            let half = sourceBytes.loadUnaligned(fromByteOffset: i * 2, as: SIMD8<UInt16>.self)
            targetBytes.storeBytes(of: SIMD8<UInt32>(truncatingIfNeeded: half) &<< 16, toByteOffset: i * 4, as: SIMD8<UInt32>.self)
            i += lanes
        }
        while i < count {
            target[i] = source[i].float
            i += 1
        }
    }

    /// buffer[i] = buffer[i] rounded to bf16 and back, in place (the reference path's inputs).
    public static func roundInPlace(_ buffer: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { buffer[i] = buffer[i].roundedToBFloat16 }
    }
}
