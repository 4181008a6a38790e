import Foundation
import TxfTestSupport
import Testing
import TxfCore
@testable import TxfStore

/// A fresh path in the temporary directory.
private func temporaryPath(_ name: String) -> String {
    TestScratch.path("safetensors-\(name)")
}

/// Writes a safetensors file by hand: `header` verbatim (no padding), then `data`.
private func writeRaw(_ path: String, header: String, data: [UInt8], declaredLength: UInt64? = nil) throws {
    var bytes: [UInt8] = []
    withUnsafeBytes(of: (declaredLength ?? UInt64(header.utf8.count)).littleEndian) { bytes += $0 }
    bytes += Array(header.utf8)
    bytes += data
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// The message of the `TxfError` that `body` throws (records an issue when it throws none).
private func errorMessage(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> String {
    do { try body() } catch let error as TxfError { return error.message } catch {
        Issue.record("expected a TxfError, got \(error)", sourceLocation: sourceLocation)
        return ""
    }
    Issue.record("expected an error", sourceLocation: sourceLocation)
    return ""
}

@Suite struct SafeTensorsTests {
    @Test func writerRoundTripIsBitExact() throws {
        let path = temporaryPath("round.safetensors")
        defer { unlink(path) }
        let a: [Float] = [1, -2.5, .pi, -0.0, .leastNonzeroMagnitude, .greatestFiniteMagnitude]
        let b: [Float] = (0 ..< 12).map { Float($0) * 0.1 - 0.3 }
        try SafeTensorsWriter.write(to: path, floatTensors: [("w \"quoted\"", [2, 3], a), ("b.bias", [3, 4], b), ("empty", [0, 5], [])],
                                    metadata: ["format": "pt"])
        let file = try SafeTensorsFile(path: path)
        #expect(file.names == ["w \"quoted\"", "b.bias", "empty"])
        #expect(file.metadata == ["format": "pt"])
        #expect(file.headerLength % 8 == 0, "data must start 8-byte aligned")
        #expect(file["b.bias"]?.shape == [3, 4])
        #expect(file["b.bias"]?.dtype == .f32)
        #expect(file["b.bias"]?.dataOffsets == 24 ..< 72)
        #expect(try file.floats("w \"quoted\"").map(\.bitPattern) == a.map(\.bitPattern))
        #expect(try file.floats("b.bias").map(\.bitPattern) == b.map(\.bitPattern))
        #expect(try file.floats("empty").isEmpty)
        // The header is plain JSON any reader can parse.
        let raw = try Data(contentsOf: URL(fileURLWithPath: path))
        let json = try JSONSerialization.jsonObject(with: raw.subdata(in: 8 ..< 8 + file.headerLength)) as? [String: Any]
        #expect((json?["b.bias"] as? [String: Any])?["data_offsets"] as? [Int] == [24, 72])
    }

    /// Hand-computed values: binary16 has bias 15 and 10 fraction bits; bfloat16 is the top
    /// 16 bits of a float32.
    @Test func halfAndBFloat16ConvertExactly() throws {
        let f16: [(UInt16, Float)] = [
            (0x3C00, 1), (0xC000, -2), (0x3555, 0.333251953125),  // 1 + 341/1024, / 4
            (0x7BFF, 65504), (0x0400, 0x1p-14),  // largest finite, smallest normal
            (0x0001, 0x1p-24), (0x03FF, 1023 * 0x1p-24),  // subnormals
            (0x0000, 0), (0x7C00, .infinity), (0xFC00, -.infinity),
        ]
        let bf16: [(UInt16, Float)] = [
            (0x3F80, 1), (0xC040, -3), (0x3EAB, 0.333984375),  // 0x3EAB0000 = (1 + 43/128) / 4
            (0x7F7F, 0x1.FEp127), (0x0001, 0x1p-133), (0xFF80, -.infinity),
        ]
        for (bits, value) in f16 { #expect(HalfFloat.f16ToFloat(bits) == value, "f16 \(String(bits, radix: 16))") }
        for (bits, value) in bf16 { #expect(HalfFloat.bf16ToFloat(bits) == value, "bf16 \(String(bits, radix: 16))") }
        #expect(HalfFloat.f16ToFloat(0x8000).sign == .minus && HalfFloat.f16ToFloat(0x8000) == 0)
        #expect(HalfFloat.f16ToFloat(0x7E00).isNaN)

        // Through a file: F16, BF16 and F64 tensors written as raw little-endian bytes.
        let path = temporaryPath("half.safetensors")
        defer { unlink(path) }
        var f16Bytes: [UInt8] = [], bf16Bytes: [UInt8] = [], f64Bytes: [UInt8] = []
        for (bits, _) in f16 { withUnsafeBytes(of: bits.littleEndian) { f16Bytes += $0 } }
        for (bits, _) in bf16 { withUnsafeBytes(of: bits.littleEndian) { bf16Bytes += $0 } }
        for x in [0.1, -1e10, 3] as [Double] { withUnsafeBytes(of: x.bitPattern.littleEndian) { f64Bytes += $0 } }
        let position: [UInt8] = Array(repeating: 0, count: 16)
        try f16Bytes.withUnsafeBytes { a in
            try bf16Bytes.withUnsafeBytes { b in
                try f64Bytes.withUnsafeBytes { c in
                    try position.withUnsafeBytes { d in
                        try SafeTensorsWriter.write(to: path, tensors: [
                            .init(name: "h", dtype: .f16, shape: [f16.count], bytes: a),
                            .init(name: "b", dtype: .bf16, shape: [bf16.count], bytes: b),
                            .init(name: "d", dtype: .f64, shape: [3, 1], bytes: c),
                            .init(name: "embeddings.position_ids", dtype: .i64, shape: [1, 2], bytes: d),
                        ])
                    }
                }
            }
        }
        let file = try SafeTensorsFile(path: path)
        #expect(try file.floats("h") == f16.map(\.1))
        #expect(try file.floats("b") == bf16.map(\.1))
        #expect(try file.floats("d") == [Float(0.1), -1e10, 3])
        #expect(file["embeddings.position_ids"]?.dtype == .i64)
        let message = errorMessage { _ = try file.floats("embeddings.position_ids") }
        #expect(message.contains("\"embeddings.position_ids\"") && message.contains("I64"), "\(message)")
    }

    @Test func truncatedFilesAreClearErrors() throws {
        let path = temporaryPath("full.safetensors"), cut = temporaryPath("cut.safetensors")
        defer { unlink(path); unlink(cut) }
        try SafeTensorsWriter.write(to: path, floatTensors: [("first", [4], [1, 2, 3, 4]), ("second.weight", [2, 2], [5, 6, 7, 8])])
        let full = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let headerLength = try SafeTensorsFile(path: path).headerLength
        func truncated(to n: Int) -> String {
            try? Data(full[0 ..< n]).write(to: URL(fileURLWithPath: cut))
            return errorMessage { _ = try SafeTensorsFile(path: cut) }
        }
        let tiny = truncated(to: 5)
        #expect(tiny.contains(cut) && tiny.contains("truncated") && tiny.contains("8-byte"), "\(tiny)")
        let inHeader = truncated(to: 8 + headerLength / 2)
        #expect(inHeader.contains(cut) && inHeader.contains("truncated"), "\(inHeader)")
        // Cut inside the second tensor's data: the error names that tensor, not the first.
        let inData = truncated(to: full.count - 3)
        #expect(inData.contains(cut) && inData.contains("\"second.weight\"") && inData.contains("truncated"), "\(inData)")
        #expect(!inData.contains("\"first\""))
        let empty = truncated(to: 0)
        #expect(empty.contains("truncated"), "\(empty)")
    }

    @Test func lyingHeadersAreClearErrorsNamingTheTensor() throws {
        let path = temporaryPath("lie.safetensors")
        defer { unlink(path) }
        let data = [UInt8](repeating: 0, count: 32)
        func check(_ header: String, declaredLength: UInt64? = nil, _ expected: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
            try writeRaw(path, header: header, data: data, declaredLength: declaredLength)
            let message = errorMessage({ _ = try SafeTensorsFile(path: path) }, sourceLocation: sourceLocation)
            #expect(message.contains(path), "\(message)", sourceLocation: sourceLocation)
            for part in expected { #expect(message.contains(part), "\(message) lacks \(part)", sourceLocation: sourceLocation) }
        }
        // Offsets past the end of the data (32 bytes).
        try check(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"far":{"dtype":"F32","shape":[4],"data_offsets":[24,40]}}"#,
                  ["\"far\"", "40", "32 bytes"])
        // A size that does not match shape × dtype size.
        try check(#"{"w":{"dtype":"F32","shape":[3,2],"data_offsets":[0,16]}}"#, ["\"w\"", "[3, 2]", "24 bytes", "hold 16"])
        try check(#"{"h":{"dtype":"F16","shape":[4],"data_offsets":[0,16]}}"#, ["\"h\"", "8 bytes"])
        // Overlapping tensors.
        try check(#"{"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"y":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}}"#,
                  ["\"x\"", "\"y\"", "overlap"])
        // Unknown dtype, bad shape, bad offsets, missing fields.
        try check(#"{"q":{"dtype":"F12","shape":[1],"data_offsets":[0,4]}}"#, ["\"q\"", "unknown dtype \"F12\""])
        try check(#"{"n":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, ["\"n\"", "shape"])
        try check(#"{"o":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}"#, ["\"o\"", "data_offsets"])
        try check(#"{"m":{"dtype":"F32","shape":[1]}}"#, ["\"m\"", "data_offsets"])
        try check(#"{"big":{"dtype":"F32","shape":[2305843009213693952,4],"data_offsets":[0,16]}}"#, ["\"big\"", "too large"])
        // Header length beyond the file, or absurd; a header that is not JSON or not an object.
        try check(#"{}"#, declaredLength: 1000, ["truncated", "1000"])
        try check(#"{}"#, declaredLength: 1 << 40, ["header length"])
        try check(#"{"a": nonsense}"#, ["not valid JSON"])
        try check(#"[1, 2]"#, ["not a JSON object"])
        try check(#"{"__metadata__":{"format":3}}"#, ["__metadata__"])
    }

    @Test func missingFileAndTensorAreClearErrors() throws {
        let missing = errorMessage { _ = try SafeTensorsFile(path: "/nonexistent/txf/model.safetensors") }
        #expect(missing.contains("/nonexistent/txf/model.safetensors"))
        let path = temporaryPath("one.safetensors")
        defer { unlink(path) }
        try SafeTensorsWriter.write(to: path, floatTensors: [("a", [1], [1])])
        let file = try SafeTensorsFile(path: path)
        #expect(errorMessage { _ = try file.floats("b") }.contains("no tensor \"b\""))
        var small = [Float](repeating: 0, count: 2)
        #expect(errorMessage { try small.withUnsafeMutableBufferPointer { try file.readFloats("a", into: $0) } }.contains("\"a\""))
        #expect(throws: TxfError.self) {
            try SafeTensorsWriter.write(to: path, floatTensors: [("a", [2], [1]), ("a", [1], [1])])
        }
    }
}
