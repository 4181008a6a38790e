import Foundation
import TxfCore
import TxfHDF5
import TxfModel

extension ModelArchive {
    /// Writes a model file (`meta.training` nil: what `txf import-hf` and `txf merge` produce
    /// and `--init` reads) or a checkpoint (rank 0 only), atomically: to `<path>.tmp`, closed,
    /// fsynced and renamed, so a kill at any moment leaves the previous file whole and never a
    /// partial file under its name.
    ///
    /// A full checkpoint or a model file stores every tensor of `table` under `/params`; a LoRA
    /// checkpoint (`meta.lora`) only the trainable ones. A checkpoint adds the moments of the
    /// trainable tensors, unless it is weights-only (no `m`, `v`: attribute `weights_only`).
    /// A model file's provenance may not take a name of the format.
    /// - Parameters:
    ///   - parameters: [table.totalCount] in the table's layout.
    ///   - m, v: checkpoints only: AdamW moments, [table.trainableCount] each, in the gradient
    ///     layout; nil for a weights-only checkpoint.
    public static func write(to path: String, table: ParameterTable, parameters: UnsafePointer<Float>,
                             m: UnsafePointer<Float>? = nil, v: UnsafePointer<Float>? = nil, meta: ArchiveMeta) throws {
        precondition((v == nil) == (m == nil) && (m == nil || meta.training != nil), "only a checkpoint has moments, m and v together")
        try meta.checkProvenance()
        try writeAtomically(path, what: meta.kind.noun) { file in
            var sum = Checksum64()
            let trainable = table.entries.filter(\.trainable)
            try writeTensors(file, group: ArchiveSchema.params, meta.lora == nil ? table.entries : trainable, base: parameters, &sum)
            if let training = meta.training {
                if let m, let v {
                    try writeTensors(file, group: ArchiveSchema.adamM, trainable, base: m, &sum)
                    try writeTensors(file, group: ArchiveSchema.adamV, trainable, base: v, &sum)
                }
                sum.update(training.step)
            }
            try meta.write(to: file)
            if meta.training != nil && m == nil { try file.setAttribute(ArchiveSchema.Attribute.weightsOnly, Int64(1)) }
            try file.setAttribute(ArchiveSchema.Attribute.checksum, sum.finalizeHex())
        }
    }

    /// `value` as JSON text with sorted keys (how `lora_config`, and the trainer's `schedule`
    /// and `optimizer`, are stored).
    public static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Writes an HDF5 file so that `path` only ever names a complete one: `body` fills
    /// `<path>.tmp`, which is closed, fsynced and renamed over `path`, then the directory is
    /// fsynced. On any failure the temporary file is removed and `path` keeps what it held.
    /// - Parameter what: the kind of file, for the error message ("checkpoint", "model file").
    static func writeAtomically(_ path: String, what: String, _ body: (H5File) throws -> Void) throws {
        let temporary = path + ".tmp"
        unlink(temporary)
        do {
            let file = try H5File.create(temporary)
            try body(file)
            try file.closeAndSync()
        } catch {
            unlink(temporary)
            throw TxfError("cannot write \(what) \(path): \(message(error))")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw TxfError("cannot rename \(temporary) to \(path): \(reason)")
        }
        syncDirectory(of: path)
    }

    /// Writes `entries` as `/<group>/<name>` Float datasets and folds them into `sum`.
    private static func writeTensors(_ file: H5File, group name: String, _ entries: [ParameterInfo],
                                     base: UnsafePointer<Float>, _ sum: inout Checksum64) throws {
        let group = try file.createGroup(name)
        defer { group.close() }
        for e in entries {
            let data = UnsafeBufferPointer(start: base + e.offset, count: e.count)
            let dataset = try group.createDataset(e.name, of: Float.self, shape: e.shape)
            try dataset.write(data)
            dataset.close()
            sum.update(base + e.offset, count: e.count)
        }
    }

    /// fsync of the directory, so the rename itself survives a crash of the machine.
    private static func syncDirectory(of path: String) {
        let directory = (path as NSString).deletingLastPathComponent
        let fd = open(directory.isEmpty ? "." : directory, O_RDONLY)
        if fd >= 0 { fsync(fd); close(fd) }
    }
}
