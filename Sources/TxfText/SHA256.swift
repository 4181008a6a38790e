import Crypto
import Foundation
import TxfCore

/// SHA-256, streaming: `update` any number of times, then `finalize` once.
///
/// The one hash behind vocab, dataset and checkpoint fingerprints: swift-crypto's `SHA256`
/// (BoringSSL's assembly on Linux, CryptoKit on Apple's systems) under the interface the
/// project's callers use — byte buffers, strings, files read in pieces, lowercase hex.
///
///     var h = SHA256()
///     h.update(bytes)            // repeat
///     let hex = h.finalizeHex()  // 64 lowercase hex digits
public struct SHA256: Sendable {
    private var hasher = Crypto.SHA256()
    private var finalized = false

    public init() {}

    /// Feeds bytes into the hash.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        precondition(!finalized, "SHA256.update after finalize")
        hasher.update(bufferPointer: bytes)
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

    /// The 32-byte digest. Call once.
    public mutating func finalize() -> [UInt8] {
        precondition(!finalized, "SHA256.finalize called twice")
        finalized = true
        return Array(hasher.finalize())
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
}
