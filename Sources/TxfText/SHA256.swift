import TxfCore
import Foundation

/// SHA-256 (FIPS 180-4), streaming: `update` any number of times, then `finalize` once.
///
/// The project uses no crypto package, so this is the one hash behind vocab, dataset and
/// checkpoint fingerprints. Blocks are compressed straight from the caller's bytes with raw
/// pointers (no copy unless a block straddles two `update` calls); about 200+ MB/s in a release
/// build, so a 100 MB file hashes in well under a second.
///
///     var h = SHA256()
///     h.update(bytes)            // repeat
///     let hex = h.finalizeHex()  // 64 lowercase hex digits
public struct SHA256: Sendable {
    /// Hash state a..h.
    private var state: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
        (0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19)
    /// Bytes of an incomplete block carried to the next `update`; fewer than 64.
    private var pending: [UInt8] = []
    /// Total message length in bytes so far.
    private var length: UInt64 = 0
    private var finalized = false

    public init() { pending.reserveCapacity(64) }

    /// Feeds bytes into the hash.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        precondition(!finalized, "SHA256.update after finalize")
        guard var base = bytes.baseAddress, bytes.count > 0 else { return }
        var count = bytes.count
        length &+= UInt64(count)
        if !pending.isEmpty {
            let take = min(64 - pending.count, count)
            pending.append(contentsOf: UnsafeRawBufferPointer(start: base, count: take))
            base += take
            count -= take
            if pending.count == 64 {
                pending.withUnsafeBytes { compress($0.baseAddress!, blocks: 1) }
                pending.removeAll(keepingCapacity: true)
            }
        }
        let whole = count / 64
        if whole > 0 {
            compress(base, blocks: whole)
            base += whole * 64
            count -= whole * 64
        }
        if count > 0 { pending.append(contentsOf: UnsafeRawBufferPointer(start: base, count: count)) }
    }

    /// Feeds the bytes of an array, `Data` or any other contiguous byte collection.
    public mutating func update<Bytes: ContiguousBytes>(_ bytes: Bytes) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Feeds the UTF-8 bytes of a string.
    public mutating func update(utf8 string: String) {
        var copy = string
        copy.withUTF8 { update(UnsafeRawBufferPointer($0)) }
    }

    /// Pads, compresses the last block(s) and returns the 32-byte digest. Call once.
    public mutating func finalize() -> [UInt8] {
        precondition(!finalized, "SHA256.finalize called twice")
        let bitLength = length &* 8
        var tail = pending
        tail.append(0x80)
        while tail.count % 64 != 56 { tail.append(0) }
        for shift in stride(from: 56, through: 0, by: -8) { tail.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
        tail.withUnsafeBytes { compress($0.baseAddress!, blocks: tail.count / 64) }
        finalized = true
        let words = [state.0, state.1, state.2, state.3, state.4, state.5, state.6, state.7]
        var digest: [UInt8] = []
        digest.reserveCapacity(32)
        for w in words { for shift in [24, 16, 8, 0] { digest.append(UInt8(truncatingIfNeeded: w >> UInt32(shift))) } }
        return digest
    }

    /// `finalize()` as 64 lowercase hex digits.
    public mutating func finalizeHex() -> String { SHA256.hex(finalize()) }

    /// Digest of one byte buffer, as lowercase hex.
    public static func hex<Bytes: ContiguousBytes>(of bytes: Bytes) -> String {
        var h = SHA256()
        h.update(bytes)
        return h.finalizeHex()
    }

    /// Digest of a file's bytes, read in 1 MiB pieces (memory stays flat for any file size).
    public static func hex(ofFile path: String) throws -> String {
        guard let file = fopen(path, "rb") else { throw TxfError("cannot read \(path) to hash it") }
        defer { fclose(file) }
        var h = SHA256()
        let size = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let n = fread(buffer, 1, size, file)
            if n > 0 { h.update(UnsafeRawBufferPointer(start: buffer, count: n)) }
            if n < size {
                if ferror(file) != 0 { throw TxfError("cannot read \(path) to hash it") }
                break
            }
        }
        return h.finalizeHex()
    }

    /// Lowercase hex of bytes.
    public static func hex(_ digest: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(digest.count * 2)
        for b in digest { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: - Compression

    /// Compresses `blocks` consecutive 64-byte blocks starting at `p` into `state`.
    private mutating func compress(_ p: UnsafeRawPointer, blocks: Int) {
        var (h0, h1, h2, h3, h4, h5, h6, h7) = state
        // w: [64] message schedule, reused for every block.
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
            SHA256.roundConstants.withUnsafeBufferPointer { k in
                for block in 0..<blocks {
                    let src = p + block * 64
                    for t in 0..<16 {
                        w[t] = UInt32(bigEndian: src.loadUnaligned(fromByteOffset: t * 4, as: UInt32.self))
                    }
                    for t in 16..<64 {
                        let a = w[t - 15], b = w[t - 2]
                        let s0 = a.rotr(7) ^ a.rotr(18) ^ (a &>> 3)
                        let s1 = b.rotr(17) ^ b.rotr(19) ^ (b &>> 10)
                        w[t] = w[t - 16] &+ s0 &+ w[t - 7] &+ s1
                    }
                    var a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7
                    for t in 0..<64 {
                        let s1 = e.rotr(6) ^ e.rotr(11) ^ e.rotr(25)
                        let ch = (e & f) ^ (~e & g)
                        let t1 = h &+ s1 &+ ch &+ k[t] &+ w[t]
                        let s0 = a.rotr(2) ^ a.rotr(13) ^ a.rotr(22)
                        let maj = (a & b) ^ (c & (a ^ b))
                        let t2 = s0 &+ maj
                        h = g; g = f; f = e; e = d &+ t1
                        d = c; c = b; b = a; a = t1 &+ t2
                    }
                    h0 &+= a; h1 &+= b; h2 &+= c; h3 &+= d
                    h4 &+= e; h5 &+= f; h6 &+= g; h7 &+= h
                }
            }
        }
        state = (h0, h1, h2, h3, h4, h5, h6, h7)
    }

    private static let roundConstants: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]
}

extension UInt32 {
    /// Rotate right; masking shifts, so no overshift checks survive in the rounds.
    @inline(__always) fileprivate func rotr(_ n: UInt32) -> UInt32 { (self &>> n) | (self &<< (32 &- n)) }
}
