import Foundation
import TxfCore
import TxfText

/// Streams a text file's lines, hashing every byte on the way (the file is read once).
///
/// Memory holds one 1 MiB block plus the current line, whatever the file size. Lines end at
/// `\n`; a `\r` before it is dropped, so CRLF files read like LF files. A UTF-8 byte order mark
/// at the very start is skipped (spreadsheet exports write one) but still hashed.
public final class LineSource {
    /// The path as the user gave it; errors name it.
    public let path: String
    /// 1-based number of the line most recently returned.
    public private(set) var lineNumber = 0
    /// Bytes consumed so far.
    private(set) var bytesRead = 0

    private let file: UnsafeMutablePointer<FILE>
    private var hasher = SHA256()
    private var buffer: [UInt8] = []
    private var position = 0
    private var atEnd = false
    private let blockSize = 1 << 20
    /// fread's landing area: [blockSize] bytes, allocated once.
    private let block: UnsafeMutablePointer<UInt8>

    public init(path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw TxfError("\(path): no such file")
        }
        guard let file = fopen(path, "rb") else { throw TxfError("\(path): cannot open for reading") }
        self.path = path
        self.file = file
        block = .allocate(capacity: blockSize)
        buffer.reserveCapacity(blockSize * 2)
        try fill()
        if buffer.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
    }

    deinit {
        fclose(file)
        block.deallocate()
    }

    /// The next line without its terminator, or nil at the end of the file.
    public func nextLine() throws -> [UInt8]? {
        while true {
            let newline: Int? = buffer.withUnsafeBufferPointer { bytes -> Int? in
                guard position < bytes.count,
                      let hit = memchr(bytes.baseAddress! + position, 0x0A, bytes.count - position) else { return nil }
                return UnsafeRawPointer(hit) - UnsafeRawPointer(bytes.baseAddress!)
            }
            if let newline {
                var end = newline
                if end > position && buffer[end - 1] == 0x0D { end -= 1 }
                let line = Array(buffer[position..<end])
                position = newline + 1
                lineNumber += 1
                return line
            }
            if atEnd {
                guard position < buffer.count else { return nil }
                var end = buffer.count
                if buffer[end - 1] == 0x0D { end -= 1 }
                let line = Array(buffer[position..<end])
                position = buffer.count
                lineNumber += 1
                return line
            }
            try fill()
        }
    }

    /// SHA-256 of the whole file (reads any unread rest first). Call once, at the end.
    func finishHash() throws -> String {
        while !atEnd { position = buffer.count; try fill() }
        return hasher.finalizeHex()
    }

    /// Drops consumed bytes and appends the next block.
    private func fill() throws {
        if position > 0 {
            buffer.removeSubrange(0..<position)
            position = 0
        }
        let got = fread(block, 1, blockSize, file)
        if got > 0 {
            let bytes = UnsafeBufferPointer(start: block, count: got)
            hasher.update(UnsafeRawBufferPointer(bytes))
            buffer.append(contentsOf: bytes)
            bytesRead += got
        }
        if got < blockSize {
            if ferror(file) != 0 { throw TxfError("\(path): read error after \(bytesRead) bytes") }
            atEnd = true
        }
    }
}
