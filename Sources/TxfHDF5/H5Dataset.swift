import CHDF5
import TxfCore

/// An open dataset. Keep it open for repeated reads: its chunk cache lives with the id, and
/// reopening per read throws decompressed chunks away (docs/ARCHITECTURE.md, "Measured facts").
///
/// Row-wise reads treat dimension 0 as rows; a row is all the remaining dimensions
/// (`rowSize` elements). For a 1-D dataset a row is one element.
public final class H5Dataset: H5Location {
    public let filePath: String
    public let objectPath: String
    public var locationID: hid_t { handle.raw }
    /// Current extent per dimension (updated by `append`).
    public private(set) var shape: [Int]
    /// Stored element type as messages name it ("int32", "float32", "string").
    public let elementTypeName: String
    private let handle: H5ID
    let storedType: H5ID

    init(filePath: String, objectPath: String, id: hid_t) throws {
        self.filePath = filePath
        self.objectPath = objectPath
        self.handle = H5ID(id, .dataset)
        let type = H5ID(try H5Errors.id(H5Dget_type(id), "cannot read type of \(filePath):\(objectPath)"), .datatype)
        self.storedType = type
        self.elementTypeName = h5DescribeType(type.raw)
        let space = H5ID(try H5Errors.id(H5Dget_space(id), "cannot read shape of \(filePath):\(objectPath)"), .dataspace)
        self.shape = try h5Dims(space.raw, "\(filePath):\(objectPath)")
    }

    /// Number of elements (product of the shape).
    public var count: Int { shape.reduce(1, *) }
    /// Elements per row along dimension 0.
    public var rowSize: Int { shape.dropFirst().reduce(1, *) }
    /// Number of rows (extent of dimension 0; 1 for a scalar).
    public var rowCount: Int { shape.first ?? 1 }

    /// Closes the dataset now (also done at deinit).
    public func close() {
        handle.close()
    }

    /// Throws unless the stored element type is exactly `T`.
    public func checkElementType<T: H5Scalar>(_: T.Type) throws {
        guard h5TypeMatches(storedType.raw, T.self) else {
            throw TxfError("\(displayName) holds \(elementTypeName), expected \(T.h5TypeName)")
        }
    }

    /// Throws unless the dataset has `rank` dimensions.
    public func checkRank(_ rank: Int) throws {
        guard shape.count == rank else {
            throw TxfError("\(displayName) has shape \(shape), expected \(rank) dimension\(rank == 1 ? "" : "s")")
        }
    }

    // MARK: - Reading

    /// Reads the whole dataset, row-major.
    public func read<T: H5Scalar>(as _: T.Type = T.self) throws -> [T] {
        var values = [T](repeating: T.h5Zero, count: count)
        try values.withUnsafeMutableBufferPointer { try read(into: $0) }
        return values
    }

    /// Reads the whole dataset into `buffer` (at least `count` elements).
    public func read<T: H5Scalar>(into buffer: UnsafeMutableBufferPointer<T>) throws {
        H5Errors.silence()
        try checkElementType(T.self)
        try checkCapacity(buffer.count, count)
        if count == 0 { return }
        try H5Errors.check(H5Dread(handle.raw, T.h5NativeType, txf_h5s_all(), txf_h5s_all(), txf_h5p_default(), buffer.baseAddress),
                           "cannot read \(displayName)")
    }

    /// Reads rows `rows` (a contiguous range along dimension 0), row-major.
    public func readRows<T: H5Scalar>(_ rows: Range<Int>, as _: T.Type = T.self) throws -> [T] {
        var values = [T](repeating: T.h5Zero, count: rows.count * rowSize)
        try values.withUnsafeMutableBufferPointer { try readRows(rows, into: $0) }
        return values
    }

    /// Reads rows `rows` into `buffer` (at least `rows.count * rowSize` elements).
    public func readRows<T: H5Scalar>(_ rows: Range<Int>, into buffer: UnsafeMutableBufferPointer<T>) throws {
        try readRows(runs: [rows], into: buffer)
    }

    /// Reads several row ranges with one HDF5 call, in ascending file order.
    ///
    /// `runs` must be ascending and non-overlapping (merge neighbours first); the values land
    /// back to back in `buffer` in that order. This is how a rank reads scattered rows without
    /// touching the rest of the dataset.
    public func readRows<T: H5Scalar>(runs: [Range<Int>], into buffer: UnsafeMutableBufferPointer<T>) throws {
        H5Errors.silence()
        try checkElementType(T.self)
        let rows = shape.first ?? 1
        var total = 0
        var previousEnd = 0
        for run in runs {
            guard run.lowerBound >= previousEnd, run.upperBound <= rows else {
                throw TxfError("\(displayName): row range \(run) is out of order or outside 0..<\(rows)")
            }
            previousEnd = run.upperBound
            total += run.count
        }
        let elements = total * rowSize
        try checkCapacity(buffer.count, elements)
        if elements == 0 { return }
        let fileSpace = H5ID(try H5Errors.id(H5Dget_space(handle.raw), "cannot read \(displayName)"), .dataspace)
        var first = true
        for run in runs where !run.isEmpty {
            var start = [hsize_t](repeating: 0, count: max(shape.count, 1))
            var extent = shape.map { hsize_t($0) }
            if extent.isEmpty { extent = [1] }
            start[0] = hsize_t(run.lowerBound)
            extent[0] = hsize_t(run.count)
            let op = first ? H5S_SELECT_SET : H5S_SELECT_OR
            first = false
            try H5Errors.check(H5Sselect_hyperslab(fileSpace.raw, op, start, nil, extent, nil), "cannot select rows of \(displayName)")
        }
        try readSelection(fileSpace, elements: elements, into: buffer)
    }

    /// Reads single elements of a 1-D dataset at `indices`, in the order given (repeats allowed).
    public func readElements<T: H5Scalar>(at indices: [Int], into buffer: UnsafeMutableBufferPointer<T>) throws {
        H5Errors.silence()
        try checkElementType(T.self)
        try checkRank(1)
        try checkCapacity(buffer.count, indices.count)
        if indices.isEmpty { return }
        var coordinates = [hsize_t]()
        coordinates.reserveCapacity(indices.count)
        for index in indices {
            guard index >= 0, index < shape[0] else {
                throw TxfError("\(displayName): element \(index) is outside 0..<\(shape[0])")
            }
            coordinates.append(hsize_t(index))
        }
        let fileSpace = H5ID(try H5Errors.id(H5Dget_space(handle.raw), "cannot read \(displayName)"), .dataspace)
        try H5Errors.check(H5Sselect_elements(fileSpace.raw, H5S_SELECT_SET, indices.count, coordinates),
                           "cannot select elements of \(displayName)")
        try readSelection(fileSpace, elements: indices.count, into: buffer)
    }

    private func readSelection<T: H5Scalar>(_ fileSpace: H5ID, elements: Int, into buffer: UnsafeMutableBufferPointer<T>) throws {
        var memoryDims = [hsize_t(elements)]
        let memorySpace = H5ID(try H5Errors.id(H5Screate_simple(1, &memoryDims, nil), "cannot read \(displayName)"), .dataspace)
        try H5Errors.check(H5Dread(handle.raw, T.h5NativeType, memorySpace.raw, fileSpace.raw, txf_h5p_default(), buffer.baseAddress),
                           "cannot read \(displayName)")
    }

    // MARK: - Writing

    /// Writes the whole dataset from `values` (exactly `count` elements, row-major).
    public func write<T: H5Scalar>(_ values: UnsafeBufferPointer<T>) throws {
        H5Errors.silence()
        try checkElementType(T.self)
        guard values.count == count else {
            throw TxfError("\(displayName): writing \(values.count) values into shape \(shape)")
        }
        if count == 0 { return }
        try H5Errors.check(H5Dwrite(handle.raw, T.h5NativeType, txf_h5s_all(), txf_h5s_all(), txf_h5p_default(), values.baseAddress),
                           "cannot write \(displayName)")
    }

    /// Appends whole rows to a dataset created extendible (`createExtendibleDataset`).
    ///
    /// `values.count` must be a multiple of `rowSize`; dimension 0 grows by that many rows.
    public func append<T: H5Scalar>(_ values: UnsafeBufferPointer<T>) throws {
        H5Errors.silence()
        try checkElementType(T.self)
        let perRow = rowSize
        guard perRow > 0, values.count % perRow == 0, !shape.isEmpty else {
            throw TxfError("\(displayName): cannot append \(values.count) values to shape \(shape)")
        }
        let newRows = values.count / perRow
        if newRows == 0 { return }
        var newShape = shape.map { hsize_t($0) }
        let oldRows = newShape[0]
        newShape[0] += hsize_t(newRows)
        try H5Errors.check(H5Dset_extent(handle.raw, newShape), "cannot extend \(displayName) (was it created extendible?)")
        shape[0] += newRows
        let fileSpace = H5ID(try H5Errors.id(H5Dget_space(handle.raw), "cannot extend \(displayName)"), .dataspace)
        var start = [hsize_t](repeating: 0, count: shape.count)
        start[0] = oldRows
        var extent = newShape
        extent[0] = hsize_t(newRows)
        try H5Errors.check(H5Sselect_hyperslab(fileSpace.raw, H5S_SELECT_SET, start, nil, extent, nil), "cannot extend \(displayName)")
        var memoryDims = [hsize_t(values.count)]
        let memorySpace = H5ID(try H5Errors.id(H5Screate_simple(1, &memoryDims, nil), "cannot extend \(displayName)"), .dataspace)
        try H5Errors.check(H5Dwrite(handle.raw, T.h5NativeType, memorySpace.raw, fileSpace.raw, txf_h5p_default(), values.baseAddress),
                           "cannot append to \(displayName)")
    }

    private func checkCapacity(_ have: Int, _ need: Int) throws {
        guard have >= need else { throw TxfError("\(displayName): buffer holds \(have) values, read needs \(need)") }
    }
}

/// Current dimensions of a dataspace; [] for a scalar space.
func h5Dims(_ space: hid_t, _ what: String) throws -> [Int] {
    let rank = H5Sget_simple_extent_ndims(space)
    guard rank >= 0 else { throw H5Errors.failure("cannot read shape of \(what)") }
    if rank == 0 { return [] }
    var dims = [hsize_t](repeating: 0, count: Int(rank))
    guard H5Sget_simple_extent_dims(space, &dims, nil) >= 0 else { throw H5Errors.failure("cannot read shape of \(what)") }
    return dims.map { Int($0) }
}
