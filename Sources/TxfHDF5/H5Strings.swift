import CHDF5
import Foundation
import TxfCore

/// String storage shared by attributes and string datasets.
///
/// txf writes variable-length UTF-8 strings: h5py reads them back as Python `str` (fixed-length
/// strings come back as `bytes`). Reading accepts both, so files written elsewhere load too.
enum H5Strings {
    /// A variable-length UTF-8 string type (caller owns the returned id).
    static func variableType() throws -> H5ID {
        let type = H5ID(try H5Errors.id(H5Tcopy(txf_h5t_c_s1()), "cannot make a string type"), .datatype)
        try H5Errors.check(H5Tset_size(type.raw, txf_h5t_variable()), "cannot make a string type")
        try H5Errors.check(H5Tset_cset(type.raw, H5T_CSET_UTF8), "cannot make a string type")
        return type
    }

    /// Calls `body` with an array of C strings for `strings` (valid only inside `body`).
    static func withCStrings<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) throws -> R) rethrows -> R {
        let copies: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        return try body(copies.map { UnsafePointer($0) })
    }

    /// Reads `count` strings stored with type `storedType` through `read(memoryType, buffer)`.
    ///
    /// - Parameters:
    ///   - storedType: the file datatype (must be of class string).
    ///   - space: the dataspace being read (needed to free variable-length data).
    ///   - read: performs H5Aread / H5Dread with the given memory type into the buffer.
    static func read(count: Int, storedType: hid_t, space: hid_t, what: String,
                     _ read: (hid_t, UnsafeMutableRawPointer) -> herr_t) throws -> [String] {
        guard H5Tget_class(storedType) == H5T_STRING else {
            throw TxfError("\(what) holds \(h5DescribeType(storedType)), expected string")
        }
        if count == 0 { return [] }
        if H5Tis_variable_str(storedType) > 0 {
            let memoryType = try variableType()
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
            let status = pointers.withUnsafeMutableBytes { read(memoryType.raw, $0.baseAddress!) }
            try H5Errors.check(status, "cannot read \(what)")
            let strings = pointers.map { $0.map { String(cString: $0) } ?? "" }
            _ = pointers.withUnsafeMutableBytes { H5Dvlen_reclaim(memoryType.raw, space, txf_h5p_default(), $0.baseAddress!) }
            return strings
        }
        let size = H5Tget_size(storedType)
        let memoryType = H5ID(try H5Errors.id(H5Tcopy(txf_h5t_c_s1()), "cannot read \(what)"), .datatype)
        try H5Errors.check(H5Tset_size(memoryType.raw, size), "cannot read \(what)")
        try H5Errors.check(H5Tset_strpad(memoryType.raw, H5T_STR_NULLPAD), "cannot read \(what)")
        var bytes = [UInt8](repeating: 0, count: size * count)
        let status = bytes.withUnsafeMutableBytes { read(memoryType.raw, $0.baseAddress!) }
        try H5Errors.check(status, "cannot read \(what)")
        return (0..<count).map { index in
            var field = bytes[(index * size)..<((index + 1) * size)]
            // Fixed-length strings are padded with NULs or spaces.
            while let last = field.last, last == 0 || last == 0x20 { field = field.dropLast() }
            if let nul = field.firstIndex(of: 0) { field = field[..<nul] }
            return String(decoding: field, as: UTF8.self)
        }
    }
}

extension H5Container {
    /// Writes a 1-D dataset of variable-length UTF-8 strings (h5py: `f[name].asstr()[:]`).
    @discardableResult
    public func writeStringDataset(_ name: String, _ strings: [String]) throws -> H5Dataset {
        let type = try H5Strings.variableType()
        let dataset = try makeDataset(name, type: type.raw, shape: [strings.count], extendible: false, storage: .contiguous)
        if strings.isEmpty { return dataset }
        let status = H5Strings.withCStrings(strings) { pointers in
            H5Dwrite(dataset.locationID, type.raw, txf_h5s_all(), txf_h5s_all(), txf_h5p_default(), pointers)
        }
        try H5Errors.check(status, "cannot write \(filePath):\(childPath(name))")
        return dataset
    }

    /// Reads a 1-D dataset of strings (variable- or fixed-length).
    public func readStringDataset(_ name: String) throws -> [String] {
        let dataset = try openDataset(name)
        defer { dataset.close() }
        let what = "\(filePath):\(dataset.objectPath)"
        let type = H5ID(try H5Errors.id(H5Dget_type(dataset.locationID), "cannot read \(what)"), .datatype)
        let space = H5ID(try H5Errors.id(H5Dget_space(dataset.locationID), "cannot read \(what)"), .dataspace)
        return try H5Strings.read(count: dataset.count, storedType: type.raw, space: space.raw, what: what) { memoryType, buffer in
            H5Dread(dataset.locationID, memoryType, txf_h5s_all(), txf_h5s_all(), txf_h5p_default(), buffer)
        }
    }
}
