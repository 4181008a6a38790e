/// Element types of the safetensors format (the `dtype` strings of its JSON header).
///
/// Every type the format defines is known, so a header using any of them is valid and its
/// sizes can be checked; only the floating types `F32`, `F16`, `BF16` and `F64` convert to
/// txf's `Float` (integer tensors such as BERT's `embeddings.position_ids` buffer are skipped
/// by importers, never converted).
public enum SafeTensorsDType: String, Sendable, CaseIterable {
    case bool = "BOOL"
    case u8 = "U8", i8 = "I8"
    case f8e4m3 = "F8_E4M3", f8e5m2 = "F8_E5M2"
    case i16 = "I16", u16 = "U16", f16 = "F16", bf16 = "BF16"
    case i32 = "I32", u32 = "U32", f32 = "F32"
    case i64 = "I64", u64 = "U64", f64 = "F64"

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .bool, .u8, .i8, .f8e4m3, .f8e5m2: 1
        case .i16, .u16, .f16, .bf16: 2
        case .i32, .u32, .f32: 4
        case .i64, .u64, .f64: 8
        }
    }

    /// Whether `SafeTensorsFile.readFloats` converts this type to `Float`.
    public var convertsToFloat: Bool { self == .f32 || self == .f16 || self == .bf16 || self == .f64 }
}

/// Conversions of 16-bit floats to `Float`, written out bit by bit so they behave the same on
/// every platform (Swift's `Float16` is missing on some).
public enum HalfFloat {
    /// IEEE 754 binary16 (1 sign, 5 exponent, 10 fraction bits) → Float, exactly.
    ///
    /// Normal numbers move the exponent from bias 15 to bias 127 and the fraction up 13 bits;
    /// subnormals (exponent 0) are fraction · 2⁻²⁴; exponent 31 is ±infinity or NaN (payload kept).
    @inline(__always)
    public static func f16ToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = UInt32(h >> 10) & 0x1F
        let fraction = UInt32(h & 0x03FF)
        if exponent == 0 {
            // ±0 or subnormal: exact in Float (fraction < 2¹⁰, scaled by a power of two).
            let magnitude = Float(fraction) * 0x1p-24
            return sign != 0 ? -magnitude : magnitude
        }
        if exponent == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (fraction << 13)) }
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (fraction << 13))
    }

    /// bfloat16 (the top half of a Float's bits) → Float, exactly.
    @inline(__always)
    public static func bf16ToFloat(_ b: UInt16) -> Float { Float(bitPattern: UInt32(b) << 16) }
}
