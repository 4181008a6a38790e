/// The bytes of a TensorBoard event file: TFRecord frames around serialized `tensorflow.Event`
/// protobufs, written by hand.
///
/// Why by hand: the five fields written here (`Event.wall_time`, `.step`, `.file_version`,
/// `.summary`, and `Summary.Value.tag` / `.simple_value`) are a few varints, fixed-width numbers
/// and length-prefixed strings, while swift-protobuf would need TensorFlow's event.proto and
/// summary.proto compiled by protoc into generated Swift (no protoc here) and one more package
/// for every build. Debian 12 has no CRC32C library (Google's crc32c is packaged from Debian 13
/// on; zlib's crc32 is the other polynomial), so CRC32C is the small table below, tested against
/// RFC 3720's vectors, and TensorBoard's reader checks every frame's CRCs on read-back.
enum TensorBoardRecord {
    // MARK: - TFRecord framing

    /// One record: uint64 length, masked CRC32C of those 8 bytes, the data, masked CRC32C of
    /// the data (all little-endian).
    static func frame(_ data: [UInt8]) -> [UInt8] {
        let length = littleEndian(UInt64(data.count))
        return length + littleEndian(maskedCRC32C(length)) + data + littleEndian(maskedCRC32C(data))
    }

    /// The data of each whole record with correct checksums in `bytes`, in order, stopping at
    /// the first short or damaged one (a write cut by a kill).
    static func unframe(_ bytes: [UInt8]) -> [[UInt8]] {
        var records: [[UInt8]] = []
        var offset = 0
        while offset + 16 <= bytes.count {  // 8 length + 4 + 4 checksums
            let lengthBytes = Array(bytes[offset ..< offset + 8])
            guard readUInt32(bytes, at: offset + 8) == maskedCRC32C(lengthBytes) else { break }
            let length = lengthBytes.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            guard length <= UInt64(bytes.count - offset - 16) else { break }
            let start = offset + 12, end = start + Int(length)
            let data = Array(bytes[start ..< end])
            guard readUInt32(bytes, at: end) == maskedCRC32C(data) else { break }
            records.append(data)
            offset = end + 4
        }
        return records
    }

    // MARK: - CRC32C (Castagnoli)

    /// CRC-32C, reflected polynomial 0x82F63B78, initial and final XOR 0xFFFFFFFF.
    static func crc32c(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }

    /// TFRecord's mask, so a CRC of bytes that hold CRCs is not itself a CRC of zero.
    static func maskedCRC32C(_ bytes: [UInt8]) -> UInt32 {
        let crc = crc32c(bytes)
        return ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }

    private static let crcTable: [UInt32] = (0 ..< 256).map { index in
        var crc = UInt32(index)
        for _ in 0 ..< 8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        return crc
    }

    // MARK: - tensorflow.Event

    /// `Event{wall_time, step, file_version}`: the first record of every event file.
    static func fileVersionEvent(wallTime: Double) -> [UInt8] {
        double(field: 1, wallTime) + varint(field: 2, 0) + bytes(field: 3, Array("brain.Event:2".utf8))
    }

    /// `Event{wall_time, step, summary{value{tag, simple_value}…}}`.
    static func scalarsEvent(wallTime: Double, step: Int, scalars: [(tag: String, value: Float)]) -> [UInt8] {
        let values = scalars.flatMap { tag, value in
            bytes(field: 1, bytes(field: 1, Array(tag.utf8)) + float(field: 2, value))
        }
        return double(field: 1, wallTime) + varint(field: 2, UInt64(bitPattern: Int64(step))) + bytes(field: 5, values)
    }

    /// `Event.step` of a serialized event, and whether it carries `file_version` (field 3);
    /// nil when the bytes are not a protobuf message.
    static func stepAndKind(ofEvent event: [UInt8]) -> (step: Int, isFileVersion: Bool)? {
        var offset = 0, step = 0, isFileVersion = false
        while offset < event.count {
            guard let key = readVarint(event, &offset) else { return nil }
            switch key & 7 {
            case 0:
                guard let value = readVarint(event, &offset) else { return nil }
                if key >> 3 == 2 { step = Int(Int64(bitPattern: value)) }
            case 1: offset += 8
            case 5: offset += 4
            case 2:
                guard let length = readVarint(event, &offset), length <= UInt64(event.count - offset) else { return nil }
                offset += Int(length)
                if key >> 3 == 3 { isFileVersion = true }
            default: return nil
            }
        }
        return offset == event.count ? (step, isFileVersion) : nil
    }

    // MARK: - Protobuf wire format

    /// Wire types: 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32.
    private static func key(_ field: Int, _ wireType: Int) -> [UInt8] { varint(UInt64(field << 3 | wireType)) }

    private static func varint(field: Int, _ value: UInt64) -> [UInt8] { key(field, 0) + varint(value) }
    private static func double(field: Int, _ value: Double) -> [UInt8] { key(field, 1) + littleEndian(value.bitPattern) }
    private static func float(field: Int, _ value: Float) -> [UInt8] { key(field, 5) + littleEndian(value.bitPattern) }
    private static func bytes(field: Int, _ value: [UInt8]) -> [UInt8] { key(field, 2) + varint(UInt64(value.count)) + value }

    private static func varint(_ value: UInt64) -> [UInt8] {
        var value = value, out: [UInt8] = []
        while value >= 0x80 {
            out.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        return out + [UInt8(value)]
    }

    private static func readVarint(_ bytes: [UInt8], _ offset: inout Int) -> UInt64? {
        var value: UInt64 = 0
        for shift in stride(from: 0, to: 64, by: 7) {
            guard offset < bytes.count else { return nil }
            let byte = bytes[offset]
            offset += 1
            value |= UInt64(byte & 0x7F) << UInt64(shift)
            if byte < 0x80 { return value }
        }
        return nil
    }

    private static func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        (0 ..< T.bitWidth / 8).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }

    private static func readUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        (0 ..< 4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << UInt32($1 * 8) }
    }
}
