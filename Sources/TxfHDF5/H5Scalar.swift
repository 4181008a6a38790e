import CHDF5

/// A fixed-size numeric element type that maps to one native HDF5 type.
///
/// Datasets are checked against it on read (`H5Dataset.checkElementType`), so a file written
/// with float32 where int32 is expected fails with a message naming both, instead of HDF5
/// silently converting.
public protocol H5Scalar: Sendable {
    /// The native in-memory HDF5 type (owned by the library; never closed).
    static var h5NativeType: hid_t { get }
    /// Short name used in messages and summaries ("int32", "float32").
    static var h5TypeName: String { get }
    /// HDF5 class of the type: integer or float.
    static var h5Class: H5T_class_t { get }
    /// Whether integer types are signed (ignored for floats).
    static var h5Signed: Bool { get }
    /// A zero for allocating buffers.
    static var h5Zero: Self { get }
}

extension Int32: H5Scalar {
    public static var h5NativeType: hid_t { txf_h5t_native_int32() }
    public static var h5TypeName: String { "int32" }
    public static var h5Class: H5T_class_t { H5T_INTEGER }
    public static var h5Signed: Bool { true }
    public static var h5Zero: Int32 { 0 }
}

extension Int64: H5Scalar {
    public static var h5NativeType: hid_t { txf_h5t_native_int64() }
    public static var h5TypeName: String { "int64" }
    public static var h5Class: H5T_class_t { H5T_INTEGER }
    public static var h5Signed: Bool { true }
    public static var h5Zero: Int64 { 0 }
}

extension UInt8: H5Scalar {
    public static var h5NativeType: hid_t { txf_h5t_native_uint8() }
    public static var h5TypeName: String { "uint8" }
    public static var h5Class: H5T_class_t { H5T_INTEGER }
    public static var h5Signed: Bool { false }
    public static var h5Zero: UInt8 { 0 }
}

extension Float: H5Scalar {
    public static var h5NativeType: hid_t { txf_h5t_native_float() }
    public static var h5TypeName: String { "float32" }
    public static var h5Class: H5T_class_t { H5T_FLOAT }
    public static var h5Signed: Bool { true }
    public static var h5Zero: Float { 0 }
}

extension Double: H5Scalar {
    public static var h5NativeType: hid_t { txf_h5t_native_double() }
    public static var h5TypeName: String { "float64" }
    public static var h5Class: H5T_class_t { H5T_FLOAT }
    public static var h5Signed: Bool { true }
    public static var h5Zero: Double { 0 }
}

/// Describes a stored HDF5 datatype the way messages name types: "int32", "uint8",
/// "float64", "string", or "compound" / "other" for what txf never writes.
func h5DescribeType(_ type: hid_t) -> String {
    let size = H5Tget_size(type)
    switch H5Tget_class(type) {
    case H5T_INTEGER:
        let signed = H5Tget_sign(type) != H5T_SGN_NONE
        return "\(signed ? "int" : "uint")\(size * 8)"
    case H5T_FLOAT: return "float\(size * 8)"
    case H5T_STRING: return "string"
    case H5T_COMPOUND: return "compound"
    default: return "other"
    }
}

/// Whether a stored datatype is exactly the type `T` (class, size and signedness).
func h5TypeMatches<T: H5Scalar>(_ type: hid_t, _: T.Type) -> Bool {
    guard H5Tget_class(type) == T.h5Class, H5Tget_size(type) == MemoryLayout<T>.size else { return false }
    if T.h5Class == H5T_INTEGER { return (H5Tget_sign(type) != H5T_SGN_NONE) == T.h5Signed }
    return true
}
