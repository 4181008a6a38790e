import Foundation
import TxfCore
import TxfHDF5
import TxfModel

/// A model file or a checkpoint (layout in `ArchiveSchema`): its metadata read and checked on
/// opening, its tensors read on request.
///
/// Model files hold every tensor of the classifier (`txf import-hf`, `txf merge`); full
/// checkpoints every tensor plus the AdamW moments of the trainable ones; LoRA checkpoints
/// (`meta.lora`) only the trainable tensors and their moments; weights-only checkpoints
/// (`best.h5`) the same without the moments. `checksum` is `Checksum64` over the `/params`
/// tensors in table order, then, for checkpoints, the moments if stored (trainable tensors in
/// table order, m then v) and the step.
public final class ModelArchive {
    /// `txf_kind` of an archive.
    public enum Kind: String, Sendable {
        /// Weights to start from or predict with, no optimizer state.
        case model
        /// Weights, optimizer state and where training stands.
        case checkpoint

        /// The kind in an error message.
        var noun: String { self == .model ? "model file" : "checkpoint" }
    }

    public let path: String
    public let meta: ArchiveMeta
    public var kind: Kind { meta.kind }
    /// Whether the file stores AdamW moments, which resuming needs: true for checkpoints but
    /// weights-only ones (attribute `weights_only`), false for model files.
    public let hasMoments: Bool
    let file: H5File

    /// Opens `path` and reads its metadata. `expecting` a kind refuses the other one; nil
    /// takes either. A file that is neither, of another schema version, or whose attributes
    /// cannot be read, is refused with its path.
    public convenience init(path: String, expecting expected: Kind? = nil) throws {
        if expected == nil, !FileManager.default.fileExists(atPath: path) { throw TxfError("\(path): no such file") }
        try self.init(path: path, expecting: expected) { try H5File.open(path) }
    }

    /// Opens a file image, the bytes of the file at `path` (`readImage`), with the checks
    /// and messages of `init(path:expecting:)`: ranks that were sent the bytes of a file they
    /// cannot see get the same archive, and the same errors, as the rank that read it.
    public convenience init(image: [UInt8], path: String, expecting expected: Kind? = nil) throws {
        try self.init(path: path, expecting: expected) { try H5File.open(image: image, path: path) }
    }

    /// The bytes of the file at `path` for `init(image:path:expecting:)`; refuses a file that
    /// cannot be read as `init(path:expecting:)` refuses it.
    /// - Returns: [file size] bytes.
    public static func readImage(path: String, expecting expected: Kind? = nil) throws -> [UInt8] {
        do { return try H5File.readImage(path) } catch {
            throw TxfError(openFailure(path, expected, error))
        }
    }

    /// "cannot open checkpoint x.h5: x.h5: no such file"
    private static func openFailure(_ path: String, _ expected: Kind?, _ error: any Error) -> String {
        "cannot open \(expected.map { $0.noun + " " } ?? "")\(path): \(message(error))"
    }

    private init(path: String, expecting expected: Kind?, open: () throws -> H5File) throws {
        self.path = path
        let file: H5File
        do { file = try open() } catch {
            throw TxfError(ModelArchive.openFailure(path, expected, error))
        }
        self.file = file
        if file.hasVariableLengthString(ArchiveSchema.Attribute.kind) {
            throw TxfError("\(path) is a file of txf's format 1 (variable-length strings, which this txf does not read); convert it with `python3 launch/txf-convert-format1.py \(path)`, or make it again (`txf import-hf`, `txf-train`)")
        }
        let stored = (try? file.stringAttribute(ArchiveSchema.Attribute.kind)) ?? "(none)"
        guard let kind = Kind(rawValue: stored), expected == nil || kind == expected else {
            throw TxfError(expected == .checkpoint ? "\(path) is not a txf checkpoint (txf_kind is \(stored))"
                : "\(path) is not a txf checkpoint or model file (txf_kind is \(stored)); make one with `txf import-hf` or `txf-train`")
        }
        do {
            let version = try file.int64Attribute(ArchiveSchema.Attribute.schemaVersion)
            guard version == ArchiveSchema.version else {
                let remedy = kind == .checkpoint ? "train again or convert it" : "import it again"
                throw TxfError("schema version \(version); this txf reads version \(ArchiveSchema.version) (\(remedy))")
            }
            meta = try ArchiveMeta.read(from: file, kind: kind)
            hasMoments = kind == .checkpoint && !file.hasAttribute(ArchiveSchema.Attribute.weightsOnly)
        } catch {
            throw TxfError("\(kind.noun) \(path) is corrupt or incomplete: \(ModelArchive.message(error))")
        }
    }

    /// The text of an error for a message: a `TxfError`'s own, else its description.
    public static func message(_ error: any Error) -> String {
        (error as? TxfError)?.message ?? String(describing: error)
    }

    // MARK: - Reading tensors

    /// Reads every `/params` tensor of `table` into `parameters` and, for a checkpoint, the
    /// moments of its trainable tensors into `m` and `v` (read only for the checksum when nil;
    /// asking a weights-only checkpoint for them is an error), then checks the checksum.
    /// Shapes must match the table exactly. A LoRA checkpoint fills only the trainable tensors
    /// (load the frozen ones with `LoRABase.load`).
    /// - Parameters:
    ///   - parameters: [table.totalCount] in the table's layout.
    ///   - m, v: AdamW moments, [table.trainableCount] each, in the gradient layout.
    public func load(table: ParameterTable, parameters: UnsafeMutablePointer<Float>,
                     m: UnsafeMutablePointer<Float>? = nil, v: UnsafeMutablePointer<Float>? = nil) throws {
        var sum = Checksum64()
        if let training = meta.training {
            if !hasMoments && (m != nil || v != nil) { throw TxfError(ModelArchive.noMoments(path)) }
            let trainable = table.entries.filter(\.trainable)
            let scratch = FloatBuffer(count: hasMoments && (m == nil || v == nil) ? table.trainableCount : 0)
            defer { withExtendedLifetime(scratch) {} }
            let m = m ?? scratch.pointer, v = v ?? scratch.pointer
            let label = "checkpoint \(path)"
            do {
                try readTensors(ArchiveSchema.params, meta.lora == nil ? table.entries : trainable, base: parameters, &sum, label: label)
                if hasMoments {
                    try readTensors(ArchiveSchema.adamM, trainable, base: m, &sum, label: label)
                    try readTensors(ArchiveSchema.adamV, trainable, base: v, &sum, label: label)
                }
            } catch let error as TxfError where error.message.hasPrefix(label) {
                throw error
            } catch {
                throw TxfError("checkpoint \(path) is corrupt or incomplete: \(ModelArchive.message(error))")
            }
            sum.update(training.step)
        } else {
            try readTensors(ArchiveSchema.params, table.entries, base: parameters, &sum, label: path)
        }
        let stored = (try? file.stringAttribute(ArchiveSchema.Attribute.checksum)) ?? "(none)"
        let computed = sum.finalizeHex()
        guard stored == computed else {
            throw TxfError("\(kind.noun) \(path) is corrupt: checksum \(computed) does not match the stored \(stored)")
        }
    }

    /// Why a weights-only checkpoint cannot be resumed, and what to resume from instead.
    public static func noMoments(_ path: String) -> String {
        "\(path) is a weights-only checkpoint (no AdamW moments, as best.h5 is saved): it predicts, evaluates and exports but cannot be resumed; resume from a step checkpoint (step-*.h5) or final.h5, or start a new run from it with --init"
    }

    /// Tensors a base model may lack: the head is new when fine-tuning (or pre-training from a
    /// classifier) starts, and so are LoRA adapters.
    static func mayBeMissing(_ name: String) -> Bool {
        ModelHead.allCases.contains { $0.tensorPrefixes.contains(where: name.hasPrefix) } || LoRAConfig.isAdapter(name)
    }

    /// The values to start training from (`--init`): every tensor of `table` that the archive
    /// holds, into `parameters` [table.totalCount]; returns the names left as initialised
    /// (only the head's tensors and LoRA adapters may be absent). Not checksummed: the
    /// table may hold tensors the archive lacks.
    @discardableResult
    public func loadParameters(table: ParameterTable, into parameters: UnsafeMutablePointer<Float>) throws -> [String] {
        let missing = try loadTensors(table.entries, into: parameters)
        if let name = missing.first(where: { !ModelArchive.mayBeMissing($0) }) { throw TxfError("\(path): no tensor /params/\(name)") }
        return missing
    }

    /// Reads each of `entries` that `/params` holds into `parameters` (at the entry's offset);
    /// returns the names it lacks. Shapes must match. A LoRA checkpoint, which holds only
    /// adapters and the head, is refused with what to do instead.
    public func loadTensors(_ entries: [ParameterInfo], into parameters: UnsafeMutablePointer<Float>) throws -> [String] {
        if meta.lora != nil {
            throw TxfError("\(path) is a LoRA checkpoint (adapters and head only); fold it into its base with `txf merge --model \(path) --output merged.h5` and use that")
        }
        var ignored = Checksum64()
        return try readTensors(ArchiveSchema.params, entries, base: parameters, &ignored, label: path, missingAllowed: true)
    }

    /// Reads `entries` from `/<group>/<name>` into `base` (at each entry's offset) and folds
    /// them into `sum`; returns the names the group lacks when `missingAllowed`, else refuses
    /// the first. Messages start with `label`.
    @discardableResult
    private func readTensors(_ name: String, _ entries: [ParameterInfo], base: UnsafeMutablePointer<Float>,
                             _ sum: inout Checksum64, label: String, missingAllowed: Bool = false) throws -> [String] {
        let group = try file.openGroup(name)
        defer { group.close() }
        var missing: [String] = []
        for e in entries {
            guard group.contains(e.name) else {
                guard missingAllowed else { throw TxfError("\(label): no tensor /\(name)/\(e.name)") }
                missing.append(e.name)
                continue
            }
            let dataset = try group.openDataset(e.name)
            defer { dataset.close() }
            guard dataset.shape == e.shape else {
                throw TxfError("\(label): /\(name)/\(e.name) has shape \(dataset.shape), the model expects \(e.shape)")
            }
            try dataset.checkElementType(Float.self)
            try dataset.read(into: UnsafeMutableBufferPointer(start: base + e.offset, count: e.count))
            sum.update(base + e.offset, count: e.count)
        }
        return missing
    }
}
