import Foundation
import TxfCore
import TxfHDF5
import TxfModel

/// Checkpoint files: one HDF5 file holding every tensor by name, the AdamW moments, and
/// `CheckpointMeta` (DESIGN.md, "Checkpoints").
///
/// Layout: `/params/<name>` for every tensor (trainable and frozen, shape as in the parameter
/// table, weights [out, in]); `/adam_m/<name>` and `/adam_v/<name>` for each trainable tensor;
/// `/vocab` (strings); root attributes as `CheckpointMeta` lists. `checksum` is `Checksum64`
/// over the params (table order), then m, then v (trainable tensors in table order), then the
/// step. A LoRA checkpoint (`meta.lora`) holds only the trainable tensors under `/params` and
/// adds the attributes `lora_config`, `base_model_path`, `base_model_sha256`. Files are written to `<path>.tmp`, closed, fsynced and renamed, so a kill at any moment
/// leaves the previous checkpoint whole and never a partial file under a checkpoint's name.
public enum Checkpoint {
    public static let kind = "checkpoint"
    public static let schemaVersion = 1

    /// Writes a checkpoint atomically (rank 0 only).
    /// - Parameters:
    ///   - parameters: [table.totalCount] in the table's layout.
    ///   - m, v: [table.trainableCount], AdamW moments in the gradient layout.
    public static func write(to path: String, table: ParameterTable, parameters: UnsafePointer<Float>,
                             m: UnsafePointer<Float>, v: UnsafePointer<Float>, meta: CheckpointMeta) throws {
        try writeAtomically(path, what: "checkpoint") { file in
            var sum = Checksum64()
            let trainable = table.entries.filter(\.trainable)
            try writeTensors(file, group: "params", meta.lora == nil ? table.entries : trainable, base: parameters, &sum)
            try writeTensors(file, group: "adam_m", trainable, base: m, &sum)
            try writeTensors(file, group: "adam_v", trainable, base: v, &sum)
            sum.update(meta.step)
            try writeAttributes(file, meta, checksum: sum.finalizeHex())
            try file.writeStringDataset("vocab", meta.vocab).close()
        }
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
    static func writeTensors(_ file: H5File, group name: String, _ entries: [ParameterInfo],
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

    private static func writeAttributes(_ file: H5File, _ meta: CheckpointMeta, checksum: String) throws {
        try file.setAttribute("txf_kind", kind)
        try file.setAttribute("txf_schema_version", schemaVersion)
        try file.setAttribute("step", meta.step)
        try file.setAttribute("epoch", meta.epoch)
        try file.setAttribute("step_in_epoch", meta.stepInEpoch)
        try file.setAttribute("seed", Int64(bitPattern: meta.seed))
        try file.setAttribute("world_size", meta.worldSize)
        try file.setAttribute("schedule", json(meta.schedule))
        try file.setAttribute("config", meta.config.json())
        try file.setAttribute("model_config", String(decoding: try meta.model.jsonData(), as: UTF8.self))
        try file.setAttribute("optimizer", json(meta.optimizer))
        try file.setAttribute("dataset_fingerprint", meta.datasetFingerprint)
        try file.setAttribute("label_names", meta.labelNames)
        for (key, value) in meta.tokenizer.sorted(by: { $0.key < $1.key }) {
            try file.setAttribute("tokenizer_" + key, value)
        }
        if let best = meta.bestAccuracy { try file.setAttribute("best_accuracy", best) }
        if let lora = meta.lora {
            try file.setAttribute("lora_config", json(lora.config))
            try file.setAttribute("base_model_path", lora.basePath)
            try file.setAttribute("base_model_sha256", lora.baseSHA256)
        }
        try file.setAttribute("checksum", checksum)
    }

    /// fsync of the directory, so the rename itself survives a crash of the machine.
    private static func syncDirectory(of path: String) {
        let directory = (path as NSString).deletingLastPathComponent
        let fd = open(directory.isEmpty ? "." : directory, O_RDONLY)
        if fd >= 0 { fsync(fd); close(fd) }
    }

    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func message(_ error: any Error) -> String {
        (error as? TxfError)?.message ?? String(describing: error)
    }
}

/// An open checkpoint: its metadata read and checked, tensors loaded on request.
public final class CheckpointFile {
    public let path: String
    public let meta: CheckpointMeta
    private let file: H5File

    /// Opens `path` and reads its metadata. A file that is not a txf checkpoint, or whose
    /// attributes cannot be read, is refused with its path.
    public init(path: String) throws {
        self.path = path
        let file: H5File
        do { file = try H5File.open(path) } catch {
            throw TxfError("cannot open checkpoint \(path): \(Checkpoint.message(error))")
        }
        self.file = file
        let kind = (try? file.stringAttribute("txf_kind")) ?? "(none)"
        guard kind == Checkpoint.kind else {
            throw TxfError("\(path) is not a txf checkpoint (txf_kind is \(kind))")
        }
        do {
            let version = try file.int64Attribute("txf_schema_version")
            guard version == Checkpoint.schemaVersion else {
                throw TxfError("schema version \(version); this txf reads version \(Checkpoint.schemaVersion) (train again or convert it)")
            }
            let decoder = JSONDecoder()
            var tokenizer: [String: String] = [:]
            for name in file.attributeNames() where name.hasPrefix("tokenizer_") {
                tokenizer[String(name.dropFirst("tokenizer_".count))] = try file.stringAttribute(name)
            }
            meta = CheckpointMeta(
                step: Int(try file.int64Attribute("step")),
                epoch: Int(try file.int64Attribute("epoch")),
                stepInEpoch: Int(try file.int64Attribute("step_in_epoch")),
                seed: UInt64(bitPattern: try file.int64Attribute("seed")),
                schedule: try decoder.decode(LearningRateSchedule.self, from: Data(try file.stringAttribute("schedule").utf8)),
                config: try decoder.decode(TrainConfig.self, from: Data(try file.stringAttribute("config").utf8)),
                model: try decoder.decode(ModelConfig.self, from: Data(try file.stringAttribute("model_config").utf8)),
                optimizer: try decoder.decode(AdamW.self, from: Data(try file.stringAttribute("optimizer").utf8)),
                worldSize: Int(try file.int64Attribute("world_size")),
                datasetFingerprint: try file.stringAttribute("dataset_fingerprint"),
                vocab: try file.readStringDataset("vocab"),
                labelNames: try file.stringArrayAttribute("label_names"),
                tokenizer: tokenizer,
                bestAccuracy: file.hasAttribute("best_accuracy") ? try file.doubleAttribute("best_accuracy") : nil,
                lora: file.hasAttribute("lora_config") ? LoRACheckpointInfo(
                    config: try decoder.decode(LoRAConfig.self, from: Data(try file.stringAttribute("lora_config").utf8)),
                    basePath: try file.stringAttribute("base_model_path"),
                    baseSHA256: try file.stringAttribute("base_model_sha256")) : nil)
        } catch {
            throw TxfError("checkpoint \(path) is corrupt or incomplete: \(Checkpoint.message(error))")
        }
    }

    /// Reads every tensor of `table` into `parameters`, and the moments of its trainable tensors
    /// into `m` and `v`, then checks the checksum. Shapes must match the table exactly. A LoRA
    /// checkpoint fills only the trainable tensors (load the frozen ones with `LoRABase.load`).
    public func load(table: ParameterTable, parameters: UnsafeMutablePointer<Float>,
                     m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>) throws {
        var sum = Checksum64()
        do {
            let trainable = table.entries.filter(\.trainable)
            try readTensors(group: "params", meta.lora == nil ? table.entries : trainable, base: parameters, &sum)
            try readTensors(group: "adam_m", trainable, base: m, &sum)
            try readTensors(group: "adam_v", trainable, base: v, &sum)
        } catch let error as TxfError where error.message.hasPrefix("checkpoint") {
            throw error
        } catch {
            throw TxfError("checkpoint \(path) is corrupt or incomplete: \(Checkpoint.message(error))")
        }
        sum.update(meta.step)
        let stored = (try? file.stringAttribute("checksum")) ?? "(none)"
        let computed = sum.finalizeHex()
        guard stored == computed else {
            throw TxfError("checkpoint \(path) is corrupt: checksum \(computed) does not match the stored \(stored)")
        }
    }

    private func readTensors(group name: String, _ entries: [ParameterInfo],
                             base: UnsafeMutablePointer<Float>, _ sum: inout Checksum64) throws {
        let group = try file.openGroup(name)
        defer { group.close() }
        for e in entries {
            guard group.contains(e.name) else { throw TxfError("checkpoint \(path): no tensor /\(name)/\(e.name)") }
            let dataset = try group.openDataset(e.name)
            defer { dataset.close() }
            guard dataset.shape == e.shape else {
                throw TxfError("checkpoint \(path): /\(name)/\(e.name) has shape \(dataset.shape), the model expects \(e.shape)")
            }
            try dataset.checkElementType(Float.self)
            try dataset.read(into: UnsafeMutableBufferPointer(start: base + e.offset, count: e.count))
            sum.update(base + e.offset, count: e.count)
        }
    }
}
