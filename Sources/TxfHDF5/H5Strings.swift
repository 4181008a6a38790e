import CHDF5
import Foundation
import TxfCore

/// String storage shared by attributes and string datasets.
///
/// txf writes fixed-length, NUL-padded UTF-8 strings and refuses variable-length ones on read.
/// A variable-length string lives in the file's global heap behind an address that libhdf5
/// follows without checking it against the file, and damaged files crashed it there
/// (`H5HG_read`); a fixed-length string is `size × count` bytes stored with the object, whose
/// size is checked against the file's before anything is read. h5py reads these strings as
/// `bytes` (`.decode()` gives `str`).
enum H5Strings {
    /// Most bytes one string may take (model config and trainer JSON stay far below it).
    static let maxStringBytes = 1 << 20

    /// A fixed-length UTF-8 string type of `size` bytes (at least 1), NUL-padded (caller owns it).
    static func fixedType(size: Int) throws -> H5ID {
        let type = H5ID(try H5Errors.id(H5Tcopy(txf_h5t_c_s1()), "cannot make a string type"), .datatype)
        try H5Errors.check(H5Tset_size(type.raw, max(1, size)), "cannot make a string type")
        try H5Errors.check(H5Tset_cset(type.raw, H5T_CSET_UTF8), "cannot make a string type")
        try H5Errors.check(H5Tset_strpad(type.raw, H5T_STR_NULLPAD), "cannot make a string type")
        return type
    }

    /// `strings` as one buffer of fixed-width fields and that width (at least 1).
    ///
    /// NUL pads a field, so a string holding NUL cannot round-trip and is refused.
    static func packed(_ strings: [String], what: String) throws -> (bytes: [UInt8], size: Int) {
        let encoded = strings.map { Array($0.utf8) }
        if encoded.contains(where: { $0.contains(0) }) { throw TxfError("\(what): a string holds a NUL character") }
        let size = max(1, encoded.map(\.count).max() ?? 1)
        guard size <= maxStringBytes else { throw TxfError("\(what): a string of \(size) bytes is over the \(maxStringBytes)-byte limit") }
        var bytes = [UInt8](repeating: 0, count: size * encoded.count)
        for (index, string) in encoded.enumerated() {
            bytes.replaceSubrange((index * size)..<(index * size + string.count), with: string)
        }
        return (bytes, size)
    }

    /// Why a stored type cannot be read as strings, or nil when it can (fixed-length, sized).
    static func refusal(storedType: hid_t, count: Int, fileSize: Int) -> String? {
        guard H5Tget_class(storedType) == H5T_STRING else { return "holds \(h5DescribeType(storedType)), expected string" }
        if H5Tis_variable_str(storedType) != 0 {
            return "is a variable-length string, which txf does not read (files of txf's format 1 hold them; see docs/ARCHITECTURE.md, \"File formats against hostile input\")"
        }
        let size = H5Tget_size(storedType)
        let (total, overflow) = size.multipliedReportingOverflow(by: count)
        guard size >= 1, size <= maxStringBytes, !overflow, total <= fileSize else {
            return "claims \(count) strings of \(size) bytes, more than the file's \(fileSize) bytes hold"
        }
        return nil
    }

    /// Reads `count` fixed-length strings stored with type `storedType` through `read(memoryType, buffer)`.
    ///
    /// - Parameters:
    ///   - storedType: the file datatype (a fixed-length string; anything else is refused).
    ///   - fileSize: bytes of the file, the bound on what the strings may take.
    ///   - read: performs H5Aread / H5Dread with the given memory type into the buffer.
    static func read(count: Int, storedType: hid_t, fileSize: Int, what: String,
                     _ read: (hid_t, UnsafeMutableRawPointer) -> herr_t) throws -> [String] {
        if let refusal = refusal(storedType: storedType, count: count, fileSize: fileSize) { throw TxfError("\(what) \(refusal)") }
        if count == 0 { return [] }
        let size = H5Tget_size(storedType)
        let memoryType = try fixedType(size: size)
        // HDF5 converts between character sets only by refusing: read ASCII as ASCII.
        try H5Errors.check(H5Tset_cset(memoryType.raw, H5Tget_cset(storedType)), "cannot read \(what)")
        var bytes = [UInt8](repeating: 0, count: size * count)
        let status = bytes.withUnsafeMutableBytes { read(memoryType.raw, $0.baseAddress!) }
        try H5Errors.check(status, "cannot read \(what)")
        return (0..<count).map { index in
            var field = bytes[(index * size)..<((index + 1) * size)]
            // Fixed-length strings are padded with NULs (txf, h5py) or spaces (Fortran style).
            if let nul = field.firstIndex(of: 0) { field = field[..<nul] }
            while let last = field.last, last == 0x20, H5Tget_strpad(storedType) == H5T_STR_SPACEPAD { field = field.dropLast() }
            return String(decoding: field, as: UTF8.self)
        }
    }
}

/// Bytes of the file that object `id` belongs to (a bound on anything read from it).
func h5FileSize(of id: hid_t, _ what: String) throws -> Int {
    let file = H5ID(try H5Errors.id(H5Iget_file_id(id), "cannot read \(what)"), .file)
    var size: hsize_t = 0
    try H5Errors.check(H5Fget_filesize(file.raw, &size), "cannot read the size of \(what)")
    return Int(clamping: size)
}

extension H5Container {
    /// Writes a 1-D dataset of fixed-length UTF-8 strings (h5py: `[s.decode() for s in f[name][:]]`).
    @discardableResult
    public func writeStringDataset(_ name: String, _ strings: [String]) throws -> H5Dataset {
        let what = "cannot write \(filePath):\(childPath(name))"
        let (bytes, size) = try H5Strings.packed(strings, what: what)
        let type = try H5Strings.fixedType(size: size)
        let dataset = try makeDataset(name, type: type.raw, shape: [strings.count], extendible: false, storage: .contiguous)
        if strings.isEmpty { return dataset }
        let status = bytes.withUnsafeBytes {
            H5Dwrite(dataset.locationID, type.raw, txf_h5s_all(), txf_h5s_all(), txf_h5p_default(), $0.baseAddress)
        }
        try H5Errors.check(status, what)
        return dataset
    }

    /// Reads a 1-D dataset of fixed-length strings (variable-length ones are refused).
    public func readStringDataset(_ name: String) throws -> [String] {
        let dataset = try openDataset(name)
        defer { dataset.close() }
        let what = "\(filePath):\(dataset.objectPath)"
        let type = H5ID(try H5Errors.id(H5Dget_type(dataset.locationID), "cannot read \(what)"), .datatype)
        return try H5Strings.read(count: dataset.count, storedType: type.raw, fileSize: try h5FileSize(of: locationID, what), what: what) {
            memoryType, buffer in
            H5Dread(dataset.locationID, memoryType, txf_h5s_all(), txf_h5s_all(), txf_h5p_default(), buffer)
        }
    }
}
