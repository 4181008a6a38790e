import Foundation
import TxfCore

/// One tensor listed in a safetensors header.
public struct SafeTensorsEntry: Sendable, Equatable {
    public let name: String
    public let dtype: SafeTensorsDType
    /// Shape as stored (row-major; PyTorch's [out, in] for linear weights).
    public let shape: [Int]
    /// Byte range inside the data section, i.e. counted from the first byte after the header.
    public let dataOffsets: Range<Int>
    /// Element count (product of `shape`; 1 for a scalar).
    public var count: Int { shape.reduce(1, *) }
}

/// A safetensors file, its header checked and its data memory-mapped.
///
/// Format (huggingface/safetensors): an 8-byte little-endian unsigned header length n, then n
/// bytes of UTF-8 JSON mapping each tensor name to `{"dtype", "shape", "data_offsets": [begin,
/// end]}` (plus an optional `"__metadata__"` map of strings), then the raw little-endian data;
/// offsets count from the first byte after the header.
///
/// Opening checks everything reading relies on, so a damaged or lying file fails here with its
/// path and the tensor at fault instead of yielding garbage: the header length fits the file
/// and is at most 100 MB (the format's own cap), the header is a JSON object of well-formed
/// entries with known dtypes and non-negative dimensions, every tensor's byte count equals
/// elements × dtype size, every range lies inside the data actually present (a truncated file
/// shows up here), and no two ranges overlap.
public final class SafeTensorsFile {
    public let path: String
    /// Tensors in data order (ascending offsets).
    public let entries: [SafeTensorsEntry]
    /// The header's `__metadata__` (e.g. `["format": "pt"]`); empty when absent.
    public let metadata: [String: String]
    /// Length of the JSON header in bytes.
    public let headerLength: Int

    private let bytes: Data
    private let dataStart: Int
    private let indexByName: [String: Int]

    /// Largest header the format allows (safetensors' MAX_HEADER_SIZE).
    public static let maxHeaderLength = 100_000_000

    public init(path: String) throws {
        self.path = path
        let bytes: Data
        do { bytes = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
            throw TxfError("cannot read safetensors file \(path): \(error.localizedDescription)")
        }
        self.bytes = bytes
        guard bytes.count >= 8 else {
            throw TxfError("\(path) is truncated: \(bytes.count) bytes, shorter than the 8-byte safetensors header length")
        }
        let n = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard n >= 2, n <= UInt64(Self.maxHeaderLength) else {
            throw TxfError("\(path) is not a safetensors file: header length \(n) is outside 2...\(Self.maxHeaderLength)")
        }
        let headerLength = Int(n)
        guard 8 + headerLength <= bytes.count else {
            throw TxfError("\(path) is truncated: the header says \(headerLength) bytes of JSON but the file has only \(bytes.count - 8) after the length")
        }
        self.headerLength = headerLength
        dataStart = 8 + headerLength
        let parsed = try Self.parseHeader(bytes.subdata(in: 8 ..< dataStart), path: path,
                                          dataSize: bytes.count - dataStart)
        entries = parsed.entries
        metadata = parsed.metadata
        indexByName = Dictionary(uniqueKeysWithValues: entries.enumerated().map { ($1.name, $0) })
    }

    /// The tensor named `name`, or nil.
    public subscript(name: String) -> SafeTensorsEntry? { indexByName[name].map { entries[$0] } }

    /// Tensor names in data order.
    public var names: [String] { entries.map(\.name) }

    /// Converts tensor `name` (F32, F16, BF16 or F64) to Float into `buffer`, which must hold
    /// exactly its element count. F16 and BF16 convert exactly; F64 rounds to nearest.
    public func readFloats(_ name: String, into buffer: UnsafeMutableBufferPointer<Float>) throws {
        guard let entry = self[name] else { throw TxfError("\(path): no tensor \"\(name)\"") }
        guard entry.dtype.convertsToFloat else {
            throw TxfError("\(path): tensor \"\(name)\" has dtype \(entry.dtype.rawValue); txf reads F32, F16, BF16 or F64")
        }
        guard buffer.count == entry.count, let out = buffer.baseAddress else {
            throw TxfError("\(path): tensor \"\(name)\" has \(entry.count) elements, the destination \(buffer.count)")
        }
        let n = entry.count
        bytes.withUnsafeBytes { raw in
            let source = raw.baseAddress! + dataStart + entry.dataOffsets.lowerBound
            switch entry.dtype {
            case .f32:
                #if _endian(little)
                memcpy(out, source, n * 4)
                #else
                for i in 0 ..< n { out[i] = Float(bitPattern: UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
                #endif
            case .f16:
                for i in 0 ..< n { out[i] = HalfFloat.f16ToFloat(UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
            case .bf16:
                for i in 0 ..< n { out[i] = HalfFloat.bf16ToFloat(UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
            case .f64:
                for i in 0 ..< n { out[i] = Float(Double(bitPattern: UInt64(littleEndian: source.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))) }
            default:
                preconditionFailure("unreachable: dtype checked above")
            }
        }
    }

    /// Tensor `name` as Floats (see `readFloats(_:into:)`).
    public func floats(_ name: String) throws -> [Float] {
        guard let entry = self[name] else { throw TxfError("\(path): no tensor \"\(name)\"") }
        var values = [Float](repeating: 0, count: entry.count)
        try values.withUnsafeMutableBufferPointer { try readFloats(name, into: $0) }
        return values
    }

    /// The raw little-endian bytes of tensor `name`.
    public func rawBytes(_ name: String) throws -> [UInt8] {
        guard let entry = self[name] else { throw TxfError("\(path): no tensor \"\(name)\"") }
        let range = (dataStart + entry.dataOffsets.lowerBound) ..< (dataStart + entry.dataOffsets.upperBound)
        return [UInt8](bytes[range])
    }

    // MARK: - Header

    static func parseHeader(_ json: Data, path: String, dataSize: Int) throws -> (entries: [SafeTensorsEntry], metadata: [String: String]) {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: json) } catch {
            throw TxfError("\(path) is not a safetensors file: its header is not valid JSON")
        }
        guard let header = object as? [String: Any] else {
            throw TxfError("\(path) is not a safetensors file: its header is not a JSON object")
        }
        var metadata: [String: String] = [:]
        var entries: [SafeTensorsEntry] = []
        // Sorted names and then data order make the reported tensor the same on every run.
        for (name, value) in header.sorted(by: { $0.key < $1.key }) {
            if name == "__metadata__" {
                guard let map = value as? [String: Any] else {
                    throw TxfError("\(path): safetensors __metadata__ is not an object")
                }
                for (key, v) in map {
                    guard let s = v as? String else { throw TxfError("\(path): safetensors __metadata__ \"\(key)\" is not a string") }
                    metadata[key] = s
                }
                continue
            }
            entries.append(try parseEntry(name, value, path: path))
        }
        entries.sort { ($0.dataOffsets.lowerBound, $0.dataOffsets.upperBound, $0.name) < ($1.dataOffsets.lowerBound, $1.dataOffsets.upperBound, $1.name) }
        // The first tensor past the end of the data (in data order) is where a truncated file ends.
        if let beyond = entries.first(where: { $0.dataOffsets.upperBound > dataSize }) {
            throw TxfError("\(path) is truncated or its header lies: tensor \"\(beyond.name)\" needs data bytes \(beyond.dataOffsets.lowerBound)..<\(beyond.dataOffsets.upperBound) but the file holds only \(dataSize) bytes of data")
        }
        for (previous, next) in zip(entries, entries.dropFirst())
        where next.dataOffsets.lowerBound < previous.dataOffsets.upperBound {
            throw TxfError("\(path): the header lies: tensors \"\(previous.name)\" (bytes \(previous.dataOffsets)) and \"\(next.name)\" (bytes \(next.dataOffsets)) overlap")
        }
        return (entries, metadata)
    }

    static func parseEntry(_ name: String, _ value: Any, path: String) throws -> SafeTensorsEntry {
        func bad(_ what: String) -> TxfError { TxfError("\(path): tensor \"\(name)\": \(what)") }
        guard let fields = value as? [String: Any] else { throw bad("header entry is not an object") }
        guard let dtypeText = fields["dtype"] as? String else { throw bad("no dtype") }
        guard let dtype = SafeTensorsDType(rawValue: dtypeText) else { throw bad("unknown dtype \"\(dtypeText)\"") }
        guard let shape = integers(fields["shape"]), shape.allSatisfy({ $0 >= 0 }) else {
            throw bad("shape is not a list of non-negative integers")
        }
        guard let offsets = integers(fields["data_offsets"]), offsets.count == 2, offsets[0] >= 0, offsets[0] <= offsets[1] else {
            throw bad("data_offsets is not [begin, end] with 0 <= begin <= end")
        }
        // Element count with overflow checked: a lying shape must not wrap around.
        var count = 1
        for d in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { throw bad("shape \(shape) is too large") }
            count = product
        }
        let (expected, overflow) = count.multipliedReportingOverflow(by: dtype.size)
        let stored = offsets[1] - offsets[0]
        guard !overflow, stored == expected else {
            throw TxfError("\(path): the header lies: tensor \"\(name)\" of shape \(shape) and dtype \(dtype.rawValue) needs \(overflow ? "too many" : String(expected)) bytes but its data_offsets \(offsets) hold \(stored)")
        }
        return SafeTensorsEntry(name: name, dtype: dtype, shape: shape, dataOffsets: offsets[0] ..< offsets[1])
    }

    /// A JSON array of integers (no fractions, no strings), or nil.
    static func integers(_ value: Any?) -> [Int]? {
        guard let array = value as? [Any] else { return nil }
        var out: [Int] = []
        for element in array {
            guard let number = element as? NSNumber else { return nil }
            let d = number.doubleValue
            guard d == d.rounded(), abs(d) < 0x1p62 else { return nil }
            out.append(number.intValue)
        }
        return out
    }
}
