import CHDF5
import TxfCore

/// How a dataset's bytes are laid out: contiguous, or chunked with optional filters.
///
/// Chunking is what makes compression and random row reads work: HDF5 decompresses whole
/// chunks, so a chunk of ~64 KiB keeps a scattered row read cheap while still compressing well.
public struct H5Storage: Sendable, Equatable {
    /// Chunk shape (same rank as the dataset); nil for contiguous storage.
    public var chunk: [Int]?
    /// Byte-shuffle filter before compression (groups high bytes of small integers together).
    public var shuffle: Bool
    /// Deflate (gzip) level 0...9, or nil for none.
    public var deflate: Int?

    public init(chunk: [Int]? = nil, shuffle: Bool = false, deflate: Int? = nil) {
        self.chunk = chunk
        self.shuffle = shuffle
        self.deflate = deflate
    }

    /// Contiguous, unfiltered.
    public static let contiguous = H5Storage()

    /// Chunked with shuffle + deflate at `level` (1 is fast and already gets most of the gain).
    public static func compressed(chunk: [Int], level: Int = 1) -> H5Storage {
        H5Storage(chunk: chunk, shuffle: true, deflate: level)
    }
}

extension H5Container {
    /// Creates a fixed-shape dataset of element type `T` (write it with `H5Dataset.write`).
    public func createDataset<T: H5Scalar>(_ name: String, of _: T.Type, shape: [Int], storage: H5Storage = .contiguous) throws -> H5Dataset {
        try makeDataset(name, type: T.h5NativeType, shape: shape, extendible: false, storage: storage)
    }

    /// Creates a dataset whose dimension 0 starts at 0 and grows without limit by `append`.
    ///
    /// - Parameters:
    ///   - rowShape: the fixed trailing dimensions ([] for a 1-D dataset).
    ///   - storage: must be chunked (HDF5 requires chunking for unlimited dimensions);
    ///     `chunk` is the full chunk shape, e.g. [65536] for a 1-D dataset.
    public func createExtendibleDataset<T: H5Scalar>(_ name: String, of _: T.Type, rowShape: [Int] = [], storage: H5Storage) throws -> H5Dataset {
        guard storage.chunk != nil else {
            throw TxfError("\(filePath):\(childPath(name)): an extendible dataset needs a chunk shape")
        }
        return try makeDataset(name, type: T.h5NativeType, shape: [0] + rowShape, extendible: true, storage: storage)
    }

    /// Creates a dataset of shape `shape` and writes `values` (row-major) into it.
    @discardableResult
    public func writeDataset<T: H5Scalar>(_ name: String, _ values: [T], shape: [Int]? = nil, storage: H5Storage = .contiguous) throws -> H5Dataset {
        let dataset = try createDataset(name, of: T.self, shape: shape ?? [values.count], storage: storage)
        try values.withUnsafeBufferPointer { try dataset.write($0) }
        return dataset
    }

    /// Opens an existing dataset, after checking that its declared shape, chunks and stored
    /// bytes fit the file (`checkStoredSize`): what a read allocates is bounded by the file.
    ///
    /// - Parameter chunkCacheBytes: size of this dataset's chunk cache (HDF5's default is
    ///   1 MiB). Random row reads over a large compressed dataset decompress each chunk once
    ///   while it stays cached, so a reader that samples rows should pass a bigger number.
    public func openDataset(_ name: String, chunkCacheBytes: Int? = nil) throws -> H5Dataset {
        H5Errors.silence()
        let path = childPath(name)
        guard contains(name) else { throw TxfError("\(filePath): no dataset \(path)") }
        let access = H5ID(try H5Errors.id(H5Pcreate(txf_h5p_dataset_access()), "cannot open \(filePath):\(path)"), .propertyList)
        if let bytes = chunkCacheBytes {
            // Slots: a prime well above the number of chunks the cache can hold (HDF5's advice).
            try H5Errors.check(H5Pset_chunk_cache(access.raw, 100_003, bytes, 0.75), "cannot set chunk cache for \(filePath):\(path)")
        }
        let id = H5Dopen2(locationID, name, access.raw)
        guard id >= 0 else { throw H5Errors.failure("cannot open dataset \(filePath):\(path)") }
        let dataset = try H5Dataset(filePath: filePath, objectPath: path, id: id)
        try dataset.checkStoredSize()
        return dataset
    }

    /// Reads a whole numeric dataset by name (opens, reads, closes).
    public func readDataset<T: H5Scalar>(_ name: String, as _: T.Type = T.self) throws -> [T] {
        let dataset = try openDataset(name)
        defer { dataset.close() }
        return try dataset.read(as: T.self)
    }

    func makeDataset(_ name: String, type: hid_t, shape: [Int], extendible: Bool, storage: H5Storage) throws -> H5Dataset {
        H5Errors.silence()
        let path = childPath(name)
        let what = "cannot create dataset \(filePath):\(path)"
        var dims = shape.map { hsize_t($0) }
        var maxDims = dims
        if extendible { maxDims[0] = txf_h5s_unlimited() }
        let space = H5ID(try H5Errors.id(H5Screate_simple(Int32(dims.count), &dims, &maxDims), what), .dataspace)
        let create = H5ID(try H5Errors.id(H5Pcreate(txf_h5p_dataset_create()), what), .propertyList)
        // A fixed-size empty dataset cannot be chunked; there is nothing to compress anyway.
        if var chunk = storage.chunk, extendible || !shape.contains(0) {
            guard chunk.count == shape.count else {
                throw TxfError("\(what): chunk \(chunk) does not match rank of shape \(shape)")
            }
            // A chunk may not exceed a fixed dimension.
            for axis in chunk.indices where !(extendible && axis == 0) {
                chunk[axis] = max(1, min(chunk[axis], shape[axis]))
            }
            var chunkDims = chunk.map { hsize_t(max(1, $0)) }
            try H5Errors.check(H5Pset_chunk(create.raw, Int32(chunkDims.count), &chunkDims), what)
            if storage.shuffle { try H5Errors.check(H5Pset_shuffle(create.raw), what) }
            if let level = storage.deflate { try H5Errors.check(H5Pset_deflate(create.raw, UInt32(level)), what) }
        }
        let id = H5Dcreate2(locationID, name, type, space.raw, txf_h5p_default(), create.raw, txf_h5p_default())
        guard id >= 0 else { throw H5Errors.failure(what) }
        return try H5Dataset(filePath: filePath, objectPath: path, id: id)
    }
}
