import Foundation
import TxfCore
import TxfStore

/// The files of a run directory (`--out`): step checkpoints `step-00000100.h5`, `final.h5`,
/// `best.h5`, `metrics.jsonl` and the run record `config.json`. Temporary `*.h5.tmp` files are
/// never taken for checkpoints.
public struct RunDirectory: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    public var metricsPath: String { file("metrics.jsonl") }
    public var finalPath: String { file("final.h5") }
    public var bestPath: String { file("best.h5") }
    /// The run record (`RunRecord`): the resolved config, txf's version, host, world size, start.
    public var configPath: String { file("config.json") }

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

/// The advisory lock (flock) rank 0 holds on `<out>/.lock` for the life of a run, so a second
/// run on the same `--out`, fresh or resumed, is refused instead of overwriting the first's files.
///
/// The file holds the holder's PID, host and start time (one line) for the refusal to name.
/// The kernel drops a flock when its process dies, so a lock file left by a dead run holds no
/// lock and is taken over. The file itself is never removed: unlinking a locked file would let
/// the next run lock a new file of the same name while this one still holds the old.
final class RunLock {
    let path: String
    private let descriptor: Int32

    /// Creates the run directory when missing, then takes the lock or throws naming its holder.
    init(directory: RunDirectory) throws {
        try directory.create()
        path = directory.file(".lock")
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw TxfError("cannot open the run lock \(path): \(String(cString: strerror(errno)))") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno
            let holder = RunLock.holder(descriptor)
            close(descriptor)
            if reason == EWOULDBLOCK {
                throw TxfError("\(directory.path) is in use by another run (\(holder ?? "holder unknown")); lock file \(path); wait for that run to end or choose another --out")
            }
            throw TxfError("cannot lock \(path): \(String(cString: strerror(reason)))")
        }
        let started = ISO8601DateFormatter().string(from: Date())
        let line = "PID \(getpid()) on host \(RunLock.hostName), started \(started)\n"
        _ = ftruncate(descriptor, 0)
        _ = line.withCString { pwrite(descriptor, $0, strlen($0), 0) }
    }

    deinit { close(descriptor) }  // releases the flock

    /// gethostname(2)'s name (no DNS lookup).
    static var hostName: String {
        var bytes = [CChar](repeating: 0, count: 256)
        guard gethostname(&bytes, bytes.count - 1) == 0 else { return "unknown" }
        return String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The holder's line as it wrote it, nil when empty or unreadable.
    private static func holder(_ descriptor: Int32) -> String? {
        var bytes = [UInt8](repeating: 0, count: 512)
        let count = pread(descriptor, &bytes, bytes.count, 0)
        guard count > 0 else { return nil }
        let text = String(decoding: bytes.prefix(count), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }
}
