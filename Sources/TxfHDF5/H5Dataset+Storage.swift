import CHDF5
import TxfCore

/// Bounds on what reading a dataset may cost, checked when a dataset is opened for reading.
///
/// A damaged or hostile file can declare any shape: a dataspace of 2^40 elements, chunks of
/// gigabytes, or no storage at all behind a large extent (HDF5 then returns fill values and a
/// reader allocates for all of it). Every dataset txf reads is checked against the bytes the
/// file can hold before a buffer is sized by its shape.
enum H5StorageBounds {
    /// Most bytes one chunk may take (txf writes 64 KiB chunks; h5py's automatic ones are ≤ 1 MiB).
    static let maxChunkBytes = 64 << 20
    /// Most bytes of elements per stored byte behind a filter: deflate expands at most about
    /// 1032 times, and shuffle not at all.
    static let maxFilterExpansion = 1100
    /// Largest element a dataset may have (fixed-length strings are the only big ones).
    static let maxElementBytes = 1 << 20
}

extension H5Dataset {
    /// Throws unless the declared shape, element size, chunk shape and stored bytes are
    /// consistent with each other and with the file's size.
    func checkStoredSize() throws {
        H5Errors.silence()
        let what = displayName
        let elementBytes = H5Tget_size(storedType.raw)
        guard elementBytes >= 1, elementBytes <= H5StorageBounds.maxElementBytes else {
            throw TxfError("\(what) is damaged: elements of \(elementBytes) bytes")
        }
        var count = 1
        for extent in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: extent)
            guard extent >= 0, !overflow else { throw TxfError("\(what) is damaged: shape \(shape) is too large") }
            count = product
        }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: elementBytes)
        let fileSize = try h5FileSize(of: locationID, what)
        let tooLarge = TxfError("\(what) is damaged: shape \(shape) of \(elementTypeName) needs \(bytes) bytes, more than the file's \(fileSize) bytes hold")
        guard !overflow else { throw tooLarge }
        if bytes == 0 { return }
        let create = H5ID(try H5Errors.id(H5Dget_create_plist(locationID), "cannot read the layout of \(what)"), .propertyList)
        let stored = Int(clamping: H5Dget_storage_size(locationID))
        switch H5Pget_layout(create.raw) {
        case H5D_CONTIGUOUS:
            let offset = H5Dget_offset(locationID)
            guard offset != hsize_t.max, stored >= bytes, Int(clamping: offset) <= fileSize - bytes else { throw tooLarge }
        case H5D_COMPACT:
            guard bytes <= 1 << 16, stored >= bytes else { throw tooLarge }
        case H5D_CHUNKED:
            var chunk = [hsize_t](repeating: 0, count: max(1, shape.count))
            let rank = H5Pget_chunk(create.raw, Int32(chunk.count), &chunk)
            guard rank == Int32(shape.count) else { throw TxfError("\(what) is damaged: its chunks have rank \(rank), its shape \(shape)") }
            var chunkBytes = elementBytes
            for extent in chunk {
                let (product, overflow) = chunkBytes.multipliedReportingOverflow(by: Int(clamping: extent))
                guard extent >= 1, !overflow, product <= H5StorageBounds.maxChunkBytes else {
                    throw TxfError("\(what) is damaged: chunk shape \(chunk) is over \(H5StorageBounds.maxChunkBytes >> 20) MiB")
                }
                chunkBytes = product
            }
            let filtered = H5Pget_nfilters(create.raw) > 0
            let expansion = filtered ? H5StorageBounds.maxFilterExpansion : 1
            guard stored <= fileSize, stored >= (bytes - 1) / expansion + 1 else { throw tooLarge }
        default:
            throw TxfError("\(what) has a storage layout txf does not read (virtual or unknown)")
        }
    }
}
