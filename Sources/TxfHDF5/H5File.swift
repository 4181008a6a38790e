import CHDF5
import Foundation
import TxfCore

/// Anything in an HDF5 file that has a location id: the file (its root group), a group, or a
/// dataset. Used to name the object in error messages and to attach attributes.
public protocol H5Location: AnyObject {
    /// The open HDF5 id (file, group or dataset). Valid until the object is closed.
    var locationID: hid_t { get }
    /// Path of the file on disk, as given when opening it.
    var filePath: String { get }
    /// Absolute path inside the file: "/" for the root, "/tokens" for a dataset.
    var objectPath: String { get }
}

extension H5Location {
    /// The in-file path of child `name` of this object.
    func childPath(_ name: String) -> String {
        objectPath == "/" ? "/\(name)" : "\(objectPath)/\(name)"
    }

    /// "file.h5:/path" — how messages name an object.
    var displayName: String { "\(filePath):\(objectPath)" }
}

/// An open HDF5 file; also its root group (datasets, groups and attributes at "/").
///
/// Close it with `close()` to release it deterministically (the id is also closed at deinit).
/// HDF5 keeps a file open while any of its groups or datasets is open, so writers close their
/// datasets first; `closeAndSync()` then makes the bytes durable before a rename.
public final class H5File: H5Container {
    public let filePath: String
    public var objectPath: String { "/" }
    public var locationID: hid_t { handle.raw }
    private let handle: H5ID

    init(path: String, id: hid_t) {
        self.filePath = path
        self.handle = H5ID(id, .file)
    }

    /// Creates (or truncates) a file at `path`.
    public static func create(_ path: String, overwrite: Bool = true) throws -> H5File {
        H5Errors.silence()
        let flags = overwrite ? txf_h5f_acc_trunc() : txf_h5f_acc_excl()
        // The 1.10 file format: object headers, groups and chunk indexes carry checksums, so a
        // damaged byte in them is an error on open instead of a crash inside libhdf5 (the
        // 1.6-era symbol tables and local heaps had none). h5py reads it.
        let access = H5ID(try H5Errors.id(H5Pcreate(txf_h5p_file_access()), "cannot create HDF5 file \(path)"), .propertyList)
        try H5Errors.check(H5Pset_libver_bounds(access.raw, H5F_LIBVER_V110, H5F_LIBVER_V110), "cannot create HDF5 file \(path)")
        let id = H5Fcreate(path, flags, txf_h5p_default(), access.raw)
        guard id >= 0 else { throw H5Errors.failure("cannot create HDF5 file \(path)") }
        return H5File(path: path, id: id)
    }

    /// Opens an existing file, read-only unless `writable`.
    ///
    /// A missing file or one that is not HDF5 is reported as such before HDF5 is asked to
    /// open it, so the message is about the user's file rather than the library internals.
    public static func open(_ path: String, writable: Bool = false) throws -> H5File {
        H5Errors.silence()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw TxfError("\(path): no such file")
        }
        if H5Fis_hdf5(path) <= 0 {
            H5Errors.takeDetail()
            throw TxfError("\(path) is not an HDF5 file")
        }
        let flags = writable ? txf_h5f_acc_rdwr() : txf_h5f_acc_rdonly()
        let id = H5Fopen(path, flags, txf_h5p_default())
        guard id >= 0 else { throw H5Errors.failure("cannot open HDF5 file \(path)") }
        return H5File(path: path, id: id)
    }

    /// Writes buffered data for the whole file to disk (HDF5's caches, not fsync).
    public func flush() throws {
        H5Errors.silence()
        try H5Errors.check(H5Fflush(handle.raw, H5F_SCOPE_GLOBAL), "cannot flush \(filePath)")
    }

    /// Closes the file id. Objects still open keep the file open until they are closed too.
    public func close() throws {
        try H5Errors.check(handle.close(), "cannot close \(filePath)")
    }

    /// Closes the file, then fsyncs it, so a following rename publishes complete bytes.
    /// Every dataset and group of this file must already be closed.
    public func closeAndSync() throws {
        try close()
        let fd = Foundation.open(filePath, O_RDONLY)
        guard fd >= 0 else { throw TxfError("cannot reopen \(filePath) to sync it") }
        defer { _ = Foundation.close(fd) }
        guard fsync(fd) == 0 else { throw TxfError("fsync failed for \(filePath)") }
    }
}

/// A group inside a file. Obtained from `createGroup` / `openGroup` on a file or group.
public final class H5Group: H5Container {
    public let filePath: String
    public let objectPath: String
    public var locationID: hid_t { handle.raw }
    private let handle: H5ID

    init(filePath: String, objectPath: String, id: hid_t) {
        self.filePath = filePath
        self.objectPath = objectPath
        self.handle = H5ID(id, .group)
    }

    /// Closes the group id now (also done at deinit).
    public func close() {
        handle.close()
    }
}

/// Longest object or attribute name a reader accepts (HDF5 keeps names in object headers,
/// which hold at most 64 KiB).
let h5MaxNameBytes = 1 << 16

/// What a named child of a group is.
public enum H5ObjectKind: Sendable, Equatable {
    case group, dataset, other
}

/// A file or group: holds named groups and datasets.
public protocol H5Container: H5Location {}

extension H5Container {
    /// Whether a link called `name` exists directly in this group.
    public func contains(_ name: String) -> Bool {
        H5Errors.silence()
        let exists = H5Lexists(locationID, name, txf_h5p_default()) > 0
        H5Errors.takeDetail()
        return exists
    }

    /// Names of the links in this group, in name order.
    public func names() throws -> [String] {
        H5Errors.silence()
        var info = H5G_info_t()
        try H5Errors.check(H5Gget_info(locationID, &info), "cannot list \(displayName)")
        var result: [String] = []
        result.reserveCapacity(Int(info.nlinks))
        for index in 0..<info.nlinks {
            let length = H5Lget_name_by_idx(locationID, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, txf_h5p_default())
            guard length >= 0 else { throw H5Errors.failure("cannot list \(displayName)") }
            guard length <= h5MaxNameBytes else { throw TxfError("\(displayName) is damaged: a link name of \(length) bytes") }
            var buffer = [CChar](repeating: 0, count: Int(length) + 1)
            _ = H5Lget_name_by_idx(locationID, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, buffer.count, txf_h5p_default())
            result.append(String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return result
    }

    /// Whether child `name` is a group or a dataset; nil when it does not exist.
    public func kind(of name: String) -> H5ObjectKind? {
        guard contains(name) else { return nil }
        let id = H5Oopen(locationID, name, txf_h5p_default())
        guard id >= 0 else { H5Errors.takeDetail(); return nil }
        defer { H5Oclose(id) }
        switch H5Iget_type(id) {
        case H5I_GROUP: return .group
        case H5I_DATASET: return .dataset
        default: return .other
        }
    }

    /// Creates a child group.
    public func createGroup(_ name: String) throws -> H5Group {
        H5Errors.silence()
        let p = txf_h5p_default()
        let id = try H5Errors.id(H5Gcreate2(locationID, name, p, p, p), "cannot create group \(filePath):\(childPath(name))")
        return H5Group(filePath: filePath, objectPath: childPath(name), id: id)
    }

    /// Opens an existing child group; a missing one is an error naming the file and path.
    public func openGroup(_ name: String) throws -> H5Group {
        H5Errors.silence()
        guard contains(name) else { throw TxfError("\(filePath): no group \(childPath(name))") }
        let id = try H5Errors.id(H5Gopen2(locationID, name, txf_h5p_default()), "cannot open group \(filePath):\(childPath(name))")
        return H5Group(filePath: filePath, objectPath: childPath(name), id: id)
    }
}

/// Whether this HDF5 library is a thread-safe build (one library lock around every call), so
/// that two threads may call it at once.
public let hdf5IsThreadSafe: Bool = {
    var safe: hbool_t = false
    return H5is_library_threadsafe(&safe) >= 0 && safe
}()
