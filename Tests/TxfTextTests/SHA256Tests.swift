import TxfCore
import Foundation
import TxfTestSupport
import Testing
import TxfText

@Suite struct SHA256Tests {
    /// FIPS 180-4 / NIST example vectors.
    @Test func knownVectors() {
        #expect(SHA256.hex(of: [UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(of: Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(of: Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func millionAsStreamedInUnevenPiecesEqualsOneShot() {
        // The NIST long-message vector, fed in pieces that straddle block boundaries.
        let message = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        var h = SHA256()
        var offset = 0
        var piece = 1
        while offset < message.count {
            let n = min(piece, message.count - offset)
            h.update(Array(message[offset..<(offset + n)]))
            offset += n
            piece = piece * 3 % 1000 + 1
        }
        let expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        #expect(h.finalizeHex() == expected)
        #expect(SHA256.hex(of: message) == expected)
    }

    @Test func everyLengthAroundThePaddingBoundaryMatchesSha256sum() throws {
        // Lengths 0...130 cover "length fits in the last block" and "needs one more block".
        guard let tool = findExecutable("sha256sum") else { return }
        let dir = try TestScratch.directory("sha")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var paths: [String] = []
        var expected: [String] = []
        for length in [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 130, 4097] {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            let path = "\(dir)/\(length).bin"
            _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
            paths.append(path)
            expected.append(SHA256.hex(of: bytes))
            #expect(try SHA256.hex(ofFile: path) == SHA256.hex(of: bytes))
        }
        let output = String(decoding: try runProcess(tool, paths).stdout, as: UTF8.self)
        let sums = output.split(separator: "\n").map { String($0.prefix(64)) }
        #expect(sums == expected)
    }

    @Test func unreadableFileIsAClearError() {
        #expect(throws: TxfError.self) { try SHA256.hex(ofFile: "/nonexistent/txf/file") }
    }
}
