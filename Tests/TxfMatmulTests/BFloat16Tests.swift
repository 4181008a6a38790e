import Testing
import TxfMatmul

@Suite("bf16 conversion")
struct BFloat16Tests {
    /// fp32 bits → expected bf16 bits, worked by hand: the kept half is bits >> 16, the dropped
    /// half decides (above 0x8000 up, below down, exactly 0x8000 to the even kept half).
    static let cases: [(UInt32, UInt16, String)] = [
        (0x3F80_0000, 0x3F80, "1 is exact"),
        (0x3F80_7FFF, 0x3F80, "just below half an ulp rounds down"),
        (0x3F80_8000, 0x3F80, "tie, kept half even: stays"),
        (0x3F81_8000, 0x3F82, "tie, kept half odd: up to even"),
        (0x3F80_8001, 0x3F81, "just above half an ulp rounds up"),
        (0x3FFF_8000, 0x4000, "tie carries into the exponent (1.99… → 2)"),
        (0xBF81_8000, 0xBF82, "negative tie to even"),
        (0x7F7F_0000, 0x7F7F, "largest finite bf16 is exact"),
        (0x7F7F_7FFF, 0x7F7F, "below half an ulp above the largest finite stays finite"),
        (0x7F7F_8000, 0x7F80, "tie above the largest finite (odd) goes to inf"),
        (0x7F7F_FFFF, 0x7F80, "Float.greatestFiniteMagnitude rounds to inf"),
        (0x0000_0000, 0x0000, "+0"),
        (0x8000_0000, 0x8000, "-0"),
        (0x0000_0001, 0x0000, "smallest fp32 subnormal rounds to 0"),
        (0x0000_8000, 0x0000, "subnormal tie to even 0"),
        (0x0001_0000, 0x0001, "smallest bf16 subnormal is exact"),
        (0x0001_8000, 0x0002, "subnormal tie, odd kept half: up"),
        (0x8001_8000, 0x8002, "negative subnormal tie"),
        (0x007F_8000, 0x0080, "largest subnormals round up to the smallest normal"),
        (0x7F80_0000, 0x7F80, "+inf"),
        (0xFF80_0000, 0xFF80, "-inf"),
        (0x7FC0_0000, 0x7FC0, "quiet NaN"),
        (0x7F80_0001, 0x7FC0, "NaN with its payload in the dropped half stays NaN (not inf)"),
        (0xFF80_0001, 0xFFC0, "negative such NaN keeps its sign"),
        (0x7FFF_FFFF, 0x7FFF, "NaN with all bits set does not carry into the sign"),
        (0x7F81_0000, 0x7FC1, "signalling NaN is quieted, payload kept"),
    ]

    @Test func scalarRoundingMatchesHandComputedBits() {
        for (input, expected, note) in Self.cases {
            let got = BFloat16(Float(bitPattern: input)).bitPattern
            #expect(got == expected, "0x\(String(input, radix: 16)) → 0x\(String(got, radix: 16)), expected 0x\(String(expected, radix: 16)): \(note)")
        }
    }

    /// The eight-lane loop and the scalar tail must agree with the scalar rule on every case,
    /// in every lane position (the count is not a multiple of 8).
    @Test func bufferRoundingMatchesScalar() {
        var inputs: [Float] = []
        for shift in 0..<8 {
            inputs += Array(repeating: 1.5, count: shift)
            inputs += Self.cases.map { Float(bitPattern: $0.0) }
        }
        var random = TestRandom(seed: 3)
        inputs += (0..<1003).map { _ in random.next() * 1e3 }
        var output = [BFloat16](repeating: BFloat16(bitPattern: 0), count: inputs.count)
        BFloat16Conversion.round(inputs, to: &output, count: inputs.count)
        for (index, value) in inputs.enumerated() {
            #expect(output[index] == BFloat16(value), "element \(index): 0x\(String(value.bitPattern, radix: 16))")
        }
    }

    /// bf16 → fp32 is the bit pattern shifted up, for all 65,536 values; rounding the result
    /// gives the same bf16 back (NaNs quieted, which leaves quiet ones unchanged).
    @Test func widenIsExactAndRoundTrips() {
        let all = (0...UInt16.max).map { BFloat16(bitPattern: $0) }
        var widened = [Float](repeating: 0, count: all.count)
        BFloat16Conversion.widen(all, to: &widened, count: all.count)
        var back = [BFloat16](repeating: BFloat16(bitPattern: 0), count: all.count)
        BFloat16Conversion.round(widened, to: &back, count: all.count)
        var wrong = 0
        for (index, value) in all.enumerated() {
            if widened[index].bitPattern != UInt32(value.bitPattern) << 16 || widened[index] != value.float && !value.float.isNaN {
                wrong += 1
            }
            let expectedBack = widened[index].isNaN ? value.bitPattern | 0x0040 : value.bitPattern
            if back[index].bitPattern != expectedBack { wrong += 1 }
        }
        #expect(wrong == 0)
    }

    @Test func roundedToBFloat16KeepsEightSignificantBits() {
        #expect(Float(1 + 1.0 / 256).roundedToBFloat16 == 1)  // half an ulp (2⁻⁸), tie to even
        #expect(Float(1 + 3.0 / 256).roundedToBFloat16 == 1 + 4.0 / 256)  // tie, odd: up
        #expect(Float(3.14159265).roundedToBFloat16 == 3.140625)
        var buffer: [Float] = [3.14159265, -0.1]
        BFloat16Conversion.roundInPlace(&buffer, count: 2)
        #expect(buffer == [3.140625, Float(bitPattern: 0xBDCD_0000)])
    }
}
