import CHDF5
import TxfCore

/// A decoded attribute value, for tools that show every attribute (`txf inspect`).
public enum H5AttributeValue: Sendable, Equatable, CustomStringConvertible {
    case string(String)
    case strings([String])
    case integer(Int64)
    case integers([Int64])
    case real(Double)
    case reals([Double])

    public var description: String {
        switch self {
        case .string(let s): return s
        case .strings(let list): return "[" + list.map { "\"\($0)\"" }.joined(separator: ", ") + "]"
        case .integer(let v): return String(v)
        case .integers(let list): return "[" + list.map(String.init).joined(separator: ", ") + "]"
        case .real(let v): return String(v)
        case .reals(let list): return "[" + list.map { String($0) }.joined(separator: ", ") + "]"
        }
    }
}

/// Attributes on a file (root group), group or dataset. Setting an attribute that exists
/// replaces it. Scalars are stored in a scalar dataspace, arrays in a 1-D one; strings are
/// fixed-length UTF-8 (`H5Strings`; h5py reads them as `bytes`).
extension H5Location {
    // MARK: - Writing

    public func setAttribute(_ name: String, _ value: String) throws {
        let (bytes, size) = try H5Strings.packed([value], what: "cannot write attribute \(name) of \(displayName)")
        let type = try H5Strings.fixedType(size: size)
        try writeAttribute(name, type: type.raw, dims: nil, bytes)
    }

    public func setAttribute(_ name: String, _ value: [String]) throws {
        let (bytes, size) = try H5Strings.packed(value, what: "cannot write attribute \(name) of \(displayName)")
        let type = try H5Strings.fixedType(size: size)
        try writeAttribute(name, type: type.raw, dims: [value.count], value.isEmpty ? [] : bytes)
    }

    public func setAttribute(_ name: String, _ value: Int64) throws {
        try writeAttribute(name, type: Int64.h5NativeType, dims: nil, [value])
    }

    public func setAttribute(_ name: String, _ value: Int) throws {
        try setAttribute(name, Int64(value))
    }

    public func setAttribute(_ name: String, _ value: Double) throws {
        try writeAttribute(name, type: Double.h5NativeType, dims: nil, [value])
    }

    public func setAttribute(_ name: String, _ value: [Int64]) throws {
        try writeAttribute(name, type: Int64.h5NativeType, dims: [value.count], value)
    }

    public func setAttribute(_ name: String, _ value: [Float]) throws {
        try writeAttribute(name, type: Float.h5NativeType, dims: [value.count], value)
    }

    private func writeAttribute<E>(_ name: String, type: hid_t, dims: [Int]?, _ values: [E]) throws {
        H5Errors.silence()
        let what = "cannot write attribute \(name) of \(displayName)"
        if H5Aexists(locationID, name) > 0 {
            try H5Errors.check(H5Adelete(locationID, name), what)
        }
        let space: H5ID
        if var dims = dims?.map({ hsize_t($0) }) {
            space = H5ID(try H5Errors.id(H5Screate_simple(1, &dims, nil), what), .dataspace)
        } else {
            space = H5ID(try H5Errors.id(H5Screate(H5S_SCALAR), what), .dataspace)
        }
        let attribute = H5ID(try H5Errors.id(H5Acreate2(locationID, name, type, space.raw, txf_h5p_default(), txf_h5p_default()), what), .attribute)
        if values.isEmpty { return }
        let status = values.withUnsafeBytes { H5Awrite(attribute.raw, type, $0.baseAddress) }
        try H5Errors.check(status, what)
        try H5Errors.check(attribute.close(), what)
    }

    // MARK: - Reading

    /// Whether the attribute exists.
    public func hasAttribute(_ name: String) -> Bool {
        H5Errors.silence()
        let exists = H5Aexists(locationID, name) > 0
        H5Errors.takeDetail()
        return exists
    }

    /// Names of all attributes, in name order.
    public func attributeNames() -> [String] {
        H5Errors.silence()
        var names: [String] = []
        var index: hsize_t = 0
        while true {
            let length = H5Aget_name_by_idx(locationID, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, txf_h5p_default())
            if length < 0 || length > h5MaxNameBytes { H5Errors.takeDetail(); break }
            var buffer = [CChar](repeating: 0, count: Int(length) + 1)
            _ = H5Aget_name_by_idx(locationID, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, buffer.count, txf_h5p_default())
            names.append(String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self))
            index += 1
        }
        return names
    }

    public func stringAttribute(_ name: String) throws -> String {
        let list = try stringArrayAttribute(name)
        guard list.count == 1 else { throw TxfError("attribute \(name) of \(displayName) holds \(list.count) strings, expected one") }
        return list[0]
    }

    public func stringArrayAttribute(_ name: String) throws -> [String] {
        try withAttribute(name) { attribute, type, count, fileSize in
            try H5Strings.read(count: count, storedType: type, fileSize: fileSize, what: "attribute \(name) of \(displayName)") {
                memoryType, buffer in
                H5Aread(attribute, memoryType, buffer)
            }
        }
    }

    /// Whether attribute `name` exists and holds variable-length strings (txf's format 1),
    /// found from its type alone: nothing of the strings is read.
    public func hasVariableLengthString(_ name: String) -> Bool {
        (try? withAttribute(name) { _, type, _, _ in H5Tget_class(type) == H5T_STRING && H5Tis_variable_str(type) > 0 }) ?? false
    }

    public func int64Attribute(_ name: String) throws -> Int64 {
        try single(int64ArrayAttribute(name), name)
    }

    public func doubleAttribute(_ name: String) throws -> Double {
        try single(numericAttribute(name, as: Double.self), name)
    }

    public func int64ArrayAttribute(_ name: String) throws -> [Int64] {
        try numericAttribute(name, as: Int64.self, integerOnly: true)
    }

    public func floatArrayAttribute(_ name: String) throws -> [Float] {
        try numericAttribute(name, as: Float.self)
    }

    /// Any attribute txf writes, decoded by its stored class and shape.
    public func attribute(_ name: String) throws -> H5AttributeValue {
        let (typeClass, isScalar) = try withAttribute(name) { attribute, type, _, _ in
            let space = H5ID(H5Aget_space(attribute), .dataspace)
            return (H5Tget_class(type), H5Sget_simple_extent_ndims(space.raw) == 0)
        }
        switch typeClass {
        case H5T_STRING:
            let list = try stringArrayAttribute(name)
            return isScalar && list.count == 1 ? .string(list[0]) : .strings(list)
        case H5T_INTEGER:
            let list = try int64ArrayAttribute(name)
            return isScalar && list.count == 1 ? .integer(list[0]) : .integers(list)
        case H5T_FLOAT:
            let list = try numericAttribute(name, as: Double.self)
            return isScalar && list.count == 1 ? .real(list[0]) : .reals(list)
        default:
            throw TxfError("attribute \(name) of \(displayName) has an unsupported type")
        }
    }

    private func single<T>(_ list: [T], _ name: String) throws -> T {
        guard list.count == 1 else { throw TxfError("attribute \(name) of \(displayName) holds \(list.count) values, expected one") }
        return list[0]
    }

    private func numericAttribute<T: H5Scalar>(_ name: String, as _: T.Type, integerOnly: Bool = false) throws -> [T] {
        try withAttribute(name) { attribute, type, count, fileSize in
            let typeClass = H5Tget_class(type)
            guard typeClass == H5T_INTEGER || (!integerOnly && typeClass == H5T_FLOAT) else {
                throw TxfError("attribute \(name) of \(displayName) holds \(h5DescribeType(type)), expected \(integerOnly ? "an integer" : "a number")")
            }
            guard count <= fileSize / max(1, H5Tget_size(type)) else {
                throw TxfError("attribute \(name) of \(displayName) claims \(count) values, more than the file's \(fileSize) bytes hold")
            }
            var values = [T](repeating: T.h5Zero, count: count)
            if count > 0 {
                let status = values.withUnsafeMutableBytes { H5Aread(attribute, T.h5NativeType, $0.baseAddress) }
                try H5Errors.check(status, "cannot read attribute \(name) of \(displayName)")
            }
            return values
        }
    }

    /// Opens attribute `name` and calls `body(attribute, storedType, elementCount, fileSize)`.
    private func withAttribute<R>(_ name: String, _ body: (hid_t, hid_t, Int, Int) throws -> R) throws -> R {
        H5Errors.silence()
        guard H5Aexists(locationID, name) > 0 else {
            H5Errors.takeDetail()
            throw TxfError("\(displayName) has no attribute \(name)")
        }
        let what = "cannot read attribute \(name) of \(displayName)"
        let attribute = H5ID(try H5Errors.id(H5Aopen(locationID, name, txf_h5p_default()), what), .attribute)
        let type = H5ID(try H5Errors.id(H5Aget_type(attribute.raw), what), .datatype)
        let space = H5ID(try H5Errors.id(H5Aget_space(attribute.raw), what), .dataspace)
        let count = H5Sget_simple_extent_npoints(space.raw)
        guard count >= 0 else { throw H5Errors.failure(what) }
        return try body(attribute.raw, type.raw, Int(count), try h5FileSize(of: attribute.raw, what))
    }
}
