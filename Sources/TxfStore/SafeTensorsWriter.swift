import Foundation
import TxfCore

/// Writes safetensors files (format: see `SafeTensorsFile`).
///
/// Tensors are laid out back to back in the order given, the JSON header lists them in that
/// order after `__metadata__`, and the header is padded with spaces to a multiple of 8 bytes,
/// as Hugging Face's writer does, so the data starts 8-byte aligned. The file is written to
/// `<path>.tmp` and renamed, so an interrupted write never leaves a partial file under `path`.
public enum SafeTensorsWriter {
    /// One tensor to write: its bytes must be little-endian and exactly elements × dtype size.
    public struct Tensor {
        public var name: String
        public var dtype: SafeTensorsDType
        public var shape: [Int]
        /// Borrowed for the duration of `write`.
        public var bytes: UnsafeRawBufferPointer

        public init(name: String, dtype: SafeTensorsDType, shape: [Int], bytes: UnsafeRawBufferPointer) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.bytes = bytes
        }

        /// An F32 tensor over `values` (shape's product must equal `values.count`).
        public init(name: String, shape: [Int], floats values: UnsafeBufferPointer<Float>) {
            self.init(name: name, dtype: .f32, shape: shape, bytes: UnsafeRawBufferPointer(values))
        }
    }

    /// Writes `tensors` and `metadata` to `path`. Names must be unique and not `__metadata__`.
    public static func write(to path: String, tensors: [Tensor], metadata: [String: String] = [:]) throws {
        #if !_endian(little)
        throw TxfError("writing safetensors needs a little-endian machine")
        #endif
        var seen = Set<String>()
        for t in tensors {
            guard t.name != "__metadata__", seen.insert(t.name).inserted else {
                throw TxfError("safetensors: tensor name \"\(t.name)\" is reserved or repeated")
            }
            guard t.bytes.count == t.shape.reduce(1, *) * t.dtype.size else {
                throw TxfError("safetensors: tensor \"\(t.name)\" of shape \(t.shape) and dtype \(t.dtype.rawValue) needs \(t.shape.reduce(1, *) * t.dtype.size) bytes, got \(t.bytes.count)")
            }
        }
        var header = Array(headerJSON(tensors, metadata: metadata).utf8)
        while header.count % 8 != 0 { header.append(0x20) }

        let temporary = path + ".tmp"
        guard let file = fopen(temporary, "wb") else {
            throw TxfError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
        var ok = true
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { ok = ok && fwrite($0.baseAddress, 1, 8, file) == 8 }
        header.withUnsafeBytes { ok = ok && fwrite($0.baseAddress, 1, $0.count, file) == $0.count }
        for t in tensors where t.bytes.count > 0 {
            ok = ok && fwrite(t.bytes.baseAddress, 1, t.bytes.count, file) == t.bytes.count
        }
        ok = fflush(file) == 0 && ok
        ok = fsync(fileno(file)) == 0 && ok
        let reason = String(cString: strerror(errno))
        ok = fclose(file) == 0 && ok
        guard ok, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw TxfError("cannot write \(path): \(reason)")
        }
    }

    /// Convenience for tests and small files: F32 tensors from arrays.
    public static func write(to path: String, floatTensors: [(name: String, shape: [Int], values: [Float])],
                             metadata: [String: String] = [:]) throws {
        // Copies into one buffer so every Tensor's pointer stays valid for the whole write.
        let total = floatTensors.reduce(0) { $0 + $1.values.count }
        let storage = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(total, 1))
        defer { storage.deallocate() }
        var offset = 0, tensors: [Tensor] = []
        for t in floatTensors {
            let slice = UnsafeMutableBufferPointer(rebasing: storage[offset ..< offset + t.values.count])
            _ = slice.initialize(from: t.values)
            tensors.append(Tensor(name: t.name, shape: t.shape, floats: UnsafeBufferPointer(slice)))
            offset += t.values.count
        }
        try write(to: path, tensors: tensors, metadata: metadata)
    }

    /// The header text: `{"__metadata__":{...},"name":{"dtype":..,"shape":[..],"data_offsets":[b,e]},...}`.
    static func headerJSON(_ tensors: [Tensor], metadata: [String: String]) -> String {
        var parts: [String] = []
        if !metadata.isEmpty {
            let fields = metadata.sorted { $0.key < $1.key }.map { "\(jsonStringLiteral($0.key)):\(jsonStringLiteral($0.value))" }
            parts.append("\"__metadata__\":{\(fields.joined(separator: ","))}")
        }
        var offset = 0
        for t in tensors {
            let shape = t.shape.map(String.init).joined(separator: ",")
            parts.append("\(jsonStringLiteral(t.name)):{\"dtype\":\"\(t.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + t.bytes.count)]}")
            offset += t.bytes.count
        }
        return "{" + parts.joined(separator: ",") + "}"
    }
}
