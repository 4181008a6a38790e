/// Eight-lane float helpers for the elementwise kernels: unaligned loads and stores on raw
/// pointers, and `exp` / `erf` approximations built only from operations every x86-64 CPU
/// vectorises (add, multiply, divide, min/max, integer shifts): no `rounded()`, which needs
/// SSE4.1 and would be scalarised in a baseline build.
typealias Float8 = SIMD8<Float>

extension UnsafePointer where Pointee == Float {
    /// Eight floats starting here (no alignment needed).
    @inline(__always) func load8(_ offset: Int = 0) -> Float8 {
        UnsafeRawPointer(self + offset).loadUnaligned(as: Float8.self)
    }
}

extension UnsafeMutablePointer where Pointee == Float {
    /// Eight floats starting here (no alignment needed).
    @inline(__always) func load8(_ offset: Int = 0) -> Float8 {
        UnsafeRawPointer(self + offset).loadUnaligned(as: Float8.self)
    }

    /// Stores eight floats starting here (no alignment needed).
    @inline(__always) func store8(_ value: Float8, _ offset: Int = 0) {
        UnsafeMutableRawPointer(self + offset).storeBytes(of: value, as: Float8.self)
    }
}

enum VectorMath {
    /// e^x, Cephes' `expf` scheme: x = n·ln2 + r with |r| ≤ ½ln2 (ln2 split in two for an exact
    /// product), e^r by a degree-6 polynomial, 2ⁿ by building the exponent bits. Relative error
    /// ≤ 2 ulp for x in [−87.3, 88.7]; below, 0; above, clamped to e^88.7 (no infinities).
    @inline(__always)
    static func exp(_ x: Float8) -> Float8 {
        let lo: Float8 = Float8(repeating: -87.33654), hi = Float8(repeating: 88.72283)
        let xc = clamp(x, lo, hi)
        // n = round(x / ln2) by the 1.5·2²³ trick: adding it leaves n in the low mantissa bits.
        let shifter = Float8(repeating: 12_582_912)
        let t = xc * 1.442695040888963 + shifter
        let n = t - shifter
        let r = xc - n * 0.693359375 - n * -2.12194440e-4
        let r2 = r * r
        var p = Float8(repeating: 1.9875691500e-4)
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        let er = p * r2 + r + 1
        // 2ⁿ: n + 127 into the exponent field (n ∈ [−126, 128]; the top case splits in two).
        let ni = unsafeBitCast(t, to: SIMD8<Int32>.self) &- unsafeBitCast(shifter, to: SIMD8<Int32>.self)
        let half = ni &>> 1
        let scaleA = unsafeBitCast((half &+ 127) &<< 23, to: Float8.self)
        let scaleB = unsafeBitCast((ni &- half &+ 127) &<< 23, to: Float8.self)
        return er * scaleA * scaleB * isNonNegative(x - lo)
    }

    /// erf(x) as a rational function of x on [−4, 4] (±1 beyond, exact in Float), the minimax
    /// fit Eigen uses for `erf` on floats (`generic_fast_erf_float`): max abs error 4.2e−7
    /// (≈ 3.5 ulp, largest near ±1; 1e−7 for |x| < ½), checked against Double `erf` in the tests.
    @inline(__always)
    static func erf(_ x: Float8) -> Float8 {
        let xc = clamp(x, Float8(repeating: -4), Float8(repeating: 4))
        let x2 = xc * xc
        var p = x2 * -2.72614225801306e-10 + 2.77068142495902e-08
        p = x2 * p + -2.10102402082508e-06
        p = x2 * p + -5.69250639462346e-05
        p = x2 * p + -7.34990630326855e-04
        p = x2 * p + -2.95459980854025e-03
        p = x2 * p + -1.60960333262415e-02
        p = xc * p
        var q = x2 * -1.45660718464996e-05 + -2.13374055278905e-04
        q = x2 * q + -1.68282697438203e-03
        q = x2 * q + -7.37332916720468e-03
        q = x2 * q + -1.42647390514189e-02
        return p / q
    }

    /// x limited to [lo, hi] (to within an ulp at the bounds), branch-free: x + relu(lo − x),
    /// then y − relu(y − hi). The standard library's `clamped`, `pointwiseMin` and
    /// `replacing(with:where:)` compile to per-lane scalar code here, masks included.
    @inline(__always)
    static func clamp(_ x: Float8, _ lo: Float8, _ hi: Float8) -> Float8 {
        let y = x + relu(lo - x)
        return y - relu(y - hi)
    }

    /// max(d, 0) by clearing every lane whose sign bit is set (arithmetic shift → all ones).
    @inline(__always)
    static func relu(_ d: Float8) -> Float8 {
        let b = unsafeBitCast(d, to: SIMD8<Int32>.self)
        return unsafeBitCast(b & ~(b &>> 31), to: Float8.self)
    }

    /// 1 where d ≥ 0 (sign bit clear), else 0.
    @inline(__always)
    static func isNonNegative(_ d: Float8) -> Float8 {
        let b = unsafeBitCast(d, to: SIMD8<Int32>.self)
        return unsafeBitCast(~(b &>> 31) & 0x3F80_0000, to: Float8.self)
    }

    /// Sum of the lanes.
    @inline(__always)
    static func sum(_ v: Float8) -> Float {
        let h = v.lowHalf + v.highHalf
        return (h[0] + h[2]) + (h[1] + h[3])
    }

    /// Largest lane.
    @inline(__always)
    static func max(_ v: Float8) -> Float {
        var h = v.lowHalf
        for j in 0 ..< 4 where v.highHalf[j] > h[j] { h[j] = v.highHalf[j] }
        return Swift.max(Swift.max(h[0], h[2]), Swift.max(h[1], h[3]))
    }
}
