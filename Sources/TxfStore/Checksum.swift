/// A 64-bit checksum over raw bytes, for detecting checkpoints that were damaged after writing.
///
/// Four lanes each absorb one 8-byte word in turn (`lane = mix(lane ^ word) · odd`), so a long
/// buffer hashes at memory speed; the lanes, the total length and a final SplitMix64 mix are
/// folded together at the end. Not cryptographic: it guards against torn or flipped bytes, not
/// against tampering. The same bytes fed in the same pieces in the same order give the same
/// value on every machine of the same byte order.
public struct Checksum64: Sendable {
    private var lanes: (UInt64, UInt64, UInt64, UInt64) =
        (0x243F_6A88_85A3_08D3, 0x1319_8A2E_0370_7344, 0xA409_3822_299F_31D0, 0x082E_FA98_EC4E_6C89)
    private var length: UInt64 = 0

    public init() {}

    /// Absorbs `bytes`. Pieces are hashed independently of how earlier pieces ended (each piece
    /// starts at lane 0), so callers must feed the same pieces to get the same value.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        let n = bytes.count
        guard n > 0, let base = bytes.baseAddress else { return }
        var (a, b, c, d) = lanes
        var i = 0
        while i + 32 <= n {
            a = Checksum64.absorb(a, base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            b = Checksum64.absorb(b, base.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self))
            c = Checksum64.absorb(c, base.loadUnaligned(fromByteOffset: i + 16, as: UInt64.self))
            d = Checksum64.absorb(d, base.loadUnaligned(fromByteOffset: i + 24, as: UInt64.self))
            i += 32
        }
        // Tail: up to 31 bytes, one byte at a time into lane a.
        while i < n {
            a = Checksum64.absorb(a, UInt64(base.load(fromByteOffset: i, as: UInt8.self)) | 0x100)
            i += 1
        }
        lanes = (a, b, c, d)
        length &+= UInt64(n)
    }

    /// Absorbs the raw bytes of `count` floats at `pointer`.
    public mutating func update(_ pointer: UnsafePointer<Float>, count: Int) {
        update(UnsafeRawBufferPointer(start: pointer, count: count * MemoryLayout<Float>.size))
    }

    /// Absorbs one integer (little-endian).
    public mutating func update(_ value: Int) {
        withUnsafeBytes(of: Int64(value).littleEndian) { update($0) }
    }

    /// The checksum as 16 lower-case hex digits.
    public func finalizeHex() -> String {
        var h = Checksum64.mix(lanes.0 ^ length)
        h = Checksum64.mix(h ^ lanes.1)
        h = Checksum64.mix(h ^ lanes.2)
        h = Checksum64.mix(h ^ lanes.3)
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    @inline(__always)
    static func absorb(_ lane: UInt64, _ word: UInt64) -> UInt64 {
        let x = lane ^ word
        return (x ^ (x >> 29)) &* 0xBF58_476D_1CE4_E5B9 &+ 0x9E37_79B9_7F4A_7C15
    }

    static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
