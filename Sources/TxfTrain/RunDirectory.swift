import Foundation
import TxfCore
import TxfStore

/// The files of a run directory (`--out`): step checkpoints `step-00000100.h5`, `final.h5`,
/// `best.h5` and `metrics.jsonl`. Temporary `*.h5.tmp` files are never taken for checkpoints.
public struct RunDirectory: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    public var metricsPath: String { file("metrics.jsonl") }
    public var finalPath: String { file("final.h5") }
    public var bestPath: String { file("best.h5") }

    /// Path of the checkpoint after `step` optimizer steps (zero-padded so names sort by step).
    public func stepPath(_ step: Int) -> String {
        let digits = String(step)
        return file("step-" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits + ".h5")
    }

    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    /// Creates the directory (and parents) when missing.
    public func create() throws {
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw TxfError("cannot create run directory \(path): \(error.localizedDescription)")
        }
    }

    /// Step checkpoints present, as (step, path), oldest first.
    public func stepCheckpoints() -> [(step: Int, path: String)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.compactMap { name -> (Int, String)? in
            guard name.hasPrefix("step-"), name.hasSuffix(".h5"),
                  let step = Int(name.dropFirst(5).dropLast(3)) else { return nil }
            return (step, file(name))
        }.sorted { $0.0 < $1.0 }
    }

    /// The checkpoint `--resume auto` continues from: the step checkpoint with the highest step,
    /// or `final.h5` when it is at least as far (its step is read from the file). Nil when the
    /// directory holds none.
    public func newestCheckpoint() throws -> String? {
        let newestStep = stepCheckpoints().last
        if FileManager.default.fileExists(atPath: finalPath),
           let finalStep = try ModelArchive(path: finalPath, expecting: .checkpoint).meta.training?.step {
            if newestStep == nil || finalStep >= newestStep!.step { return finalPath }
        }
        return newestStep?.path
    }

    /// Deletes the oldest step checkpoints so that `keep` remain; returns the paths removed.
    @discardableResult
    public func rotate(keep: Int) -> [String] {
        let all = stepCheckpoints()
        guard all.count > keep else { return [] }
        let old = all.prefix(all.count - keep).map(\.path)
        for p in old { unlink(p) }
        return old
    }
}
