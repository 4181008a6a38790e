import CHDF5
import Foundation
import TxfCore

/// A whole HDF5 file's bytes in memory: read from disk by one rank and sent to the others, so
/// that every rank opens the same bytes (`H5File.open(image:path:)`) whether or not it can
/// see the file.
extension H5File {
    /// HDF5's format signature; it sits at byte 0 or, after a user block, at 512, 1024, 2048, ….
    static let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]

    /// Reads the file at `path` whole. A path that is missing or a directory is refused as
    /// `open(_:)` refuses it (`no such file`); whether the bytes are HDF5 is for `open(image:path:)`.
    /// - Returns: [file size] bytes.
    public static func readImage(_ path: String) throws -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw TxfError("\(path): no such file")
        }
        let descriptor = Foundation.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw TxfError("cannot read \(path): \(String(cString: strerror(errno)))") }
        defer { _ = Foundation.close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw TxfError("cannot read \(path): \(String(cString: strerror(errno)))") }
        let size = Int(status.st_size)
        var failure: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            while count < size {
                let got = read(descriptor, buffer.baseAddress! + count, size - count)
                if got < 0 && errno == EINTR { continue }
                if got <= 0 { failure = got < 0 ? errno : EIO; break }
                count += got
            }
        }
        guard failure == 0 else { throw TxfError("cannot read \(path): \(String(cString: strerror(failure)))") }
        return bytes
    }

    /// Whether `bytes` hold HDF5's signature where the format puts it.
    static func isHDF5(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset + signature.count <= bytes.count {
            if bytes[offset ..< offset + signature.count].elementsEqual(signature) { return true }
            offset = offset == 0 ? 512 : offset * 2
        }
        return false
    }

    /// Opens a file image read-only with HDF5's core (in-memory) driver; `path` names it in
    /// messages and is never opened. Reads then behave as on the file the bytes came from.
    ///
    /// HDF5 takes a copy it owns (`H5LT_FILE_IMAGE_DONT_COPY` of a malloc'd buffer, released
    /// by HDF5 when the file and all its objects are closed), so `image` can go once this
    /// returns: the peak is two copies of the file while it opens, one afterwards.
    public static func open(image: [UInt8], path: String) throws -> H5File {
        H5Errors.silence()
        guard isHDF5(image) else { throw TxfError("\(path) is not an HDF5 file") }
        guard let buffer = malloc(max(image.count, 1)) else { throw TxfError("cannot open HDF5 file \(path): out of memory for its \(image.count) bytes") }
        image.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress!, byteCount: image.count) }
        let id = H5LTopen_file_image(buffer, image.count, UInt32(H5LT_FILE_IMAGE_DONT_COPY))
        // Not freed on failure: once the image is set on HDF5's property list, closing that list
        // releases it, failed open or not.
        guard id >= 0 else { throw H5Errors.failure("cannot open HDF5 file \(path)") }
        return H5File(path: path, id: id)
    }
}
