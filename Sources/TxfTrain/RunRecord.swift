import Foundation
import TxfCore

/// `config.json` in the run directory: what the run is, for a person reading the folder later
/// and for programs (a sweep's table, a plot's legend).
///
///     {
///       "txf_version": "0.1.0",
///       "host": "node-a",
///       "world_size": 4,
///       "started": "2026-12-01T16:41:45Z",
///       "resumed_from": null,
///       "resumed_at_step": 0,
///       "config": { "global-batch": 32, "lr": 0.0005, ... }
///     }
///
/// `config` is the resolved config (architecture filled in) with the keys of `--config`.
/// `started` is when training began, after setup, in UTC. A resumed run rewrites the file:
/// the settings, host and world size in effect are the resumed run's (they may differ from
/// the first's), and `resumed_from` / `resumed_at_step` name the checkpoint it continued.
public struct RunRecord: Sendable, Equatable {
    public var version: String
    public var host: String
    public var worldSize: Int
    public var started: Date
    /// The checkpoint this run continued from; nil for a fresh run.
    public var resumedFrom: String?
    /// The step training started from: 0, or the checkpoint's.
    public var resumedAtStep: Int
    public var config: TrainConfig

    public init(version: String = TxfVersion.number, host: String, worldSize: Int, started: Date,
                resumedFrom: String?, resumedAtStep: Int, config: TrainConfig) {
        self.version = version
        self.host = host
        self.worldSize = worldSize
        self.started = started
        self.resumedFrom = resumedFrom
        self.resumedAtStep = resumedAtStep
        self.config = config
    }

    /// The file's text, keys in the documented order.
    public func json() -> String {
        let started = ISO8601DateFormatter().string(from: self.started)
        let config = self.config.json(pretty: true).replacingOccurrences(of: "\n", with: "\n  ")
        let pairs = [("txf_version", jsonStringLiteral(version)), ("host", jsonStringLiteral(host)),
                     ("world_size", "\(worldSize)"), ("started", jsonStringLiteral(started)),
                     ("resumed_from", resumedFrom.map(jsonStringLiteral) ?? "null"),
                     ("resumed_at_step", "\(resumedAtStep)"), ("config", config)]
        return "{\n" + pairs.map { "  \(jsonStringLiteral($0.0)): \($0.1)" }.joined(separator: ",\n") + "\n}\n"
    }

    /// Writes the file at `path` whole or not at all: a temporary file beside it, renamed over it.
    public func write(to path: String) throws {
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(json().utf8)) else {
            throw TxfError("cannot write \(temporary): \(String(cString: strerror(errno)))")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw TxfError("cannot rename \(temporary) to \(path): \(reason)")
        }
    }
}

extension Trainer {
    /// Rank 0 writes `config.json` for the run about to train; a failure ends every rank.
    func writeRunRecord() throws {
        let record = RunRecord(host: RunLock.hostName, worldSize: communicator.worldSize, started: Date(),
                               resumedFrom: resumedFrom, resumedAtStep: step, config: config)
        let path = directory.configPath, rank = communicator.rank
        try communicator.together { if rank == 0 { try record.write(to: path) } }
    }
}
