import CHDF5
import TxfCore

/// Turns HDF5 failures into one clear `TxfError` line instead of HDF5's printed error stack.
///
/// HDF5 prints its whole error stack to stderr on every failed call unless the automatic
/// handler is switched off. In the thread-safe build the handler is per thread, so every
/// public entry point calls `H5Errors.silence()` before it touches the library; it is one
/// cheap call. When a call fails we walk the stack, keep the innermost description (the most
/// specific one, e.g. "file signature not found"), clear the stack, and wrap it with the
/// file and object the caller was working on.
enum H5Errors {
    /// Switches off HDF5's automatic error printing for the calling thread.
    @inline(__always)
    static func silence() {
        H5Eset_auto2(txf_h5e_default(), nil, nil)
    }

    /// The innermost message on the calling thread's HDF5 error stack, then clears it.
    @discardableResult
    static func takeDetail() -> String {
        var detail = ""
        withUnsafeMutablePointer(to: &detail) { ptr in
            _ = H5Ewalk2(txf_h5e_default(), H5E_WALK_DOWNWARD, { _, err, data in
                guard let err, let data, let desc = err.pointee.desc else { return 0 }
                let text = String(cString: desc)
                // Walking downward visits the API call first and the deepest cause last.
                if !text.isEmpty { data.assumingMemoryBound(to: String.self).pointee = text }
                return 0
            }, ptr)
        }
        H5Eclear2(txf_h5e_default())
        return detail
    }

    /// A user-facing error: "`what`: `detail`" (detail from the HDF5 stack when there is one).
    static func failure(_ what: String) -> TxfError {
        let detail = takeDetail()
        return TxfError(detail.isEmpty ? what : "\(what) (\(detail))")
    }

    /// Throws `failure(what)` when an HDF5 status (`herr_t`) is negative.
    @inline(__always)
    static func check(_ status: herr_t, _ what: @autoclosure () -> String) throws {
        if status < 0 { throw failure(what()) }
    }

    /// Returns `id` or throws `failure(what)` when an HDF5 id (`hid_t`) is negative.
    @inline(__always)
    static func id(_ id: hid_t, _ what: @autoclosure () -> String) throws -> hid_t {
        if id < 0 { throw failure(what()) }
        return id
    }
}

/// Owns one HDF5 identifier and closes it exactly once: on `close()` or at deinit.
///
/// Dataspaces, datatypes, property lists and attributes are short-lived; wrapping them here
/// means an early `throw` never leaks an id (a leaked id keeps the file open).
final class H5ID {
    enum Kind { case file, group, dataset, attribute, dataspace, datatype, propertyList }
    private(set) var raw: hid_t
    let kind: Kind

    init(_ raw: hid_t, _ kind: Kind) {
        self.raw = raw
        self.kind = kind
    }

    /// Closes the identifier now; later calls do nothing.
    @discardableResult
    func close() -> herr_t {
        guard raw >= 0 else { return 0 }
        let id = raw
        raw = -1
        H5Errors.silence()
        switch kind {
        case .file: return H5Fclose(id)
        case .group: return H5Gclose(id)
        case .dataset: return H5Dclose(id)
        case .attribute: return H5Aclose(id)
        case .dataspace: return H5Sclose(id)
        case .datatype: return H5Tclose(id)
        case .propertyList: return H5Pclose(id)
        }
    }

    deinit { close() }
}
