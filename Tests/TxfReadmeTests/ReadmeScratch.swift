import Foundation
import TxfTestSupport

/// The working directory the README's commands run in: the checkout as a reader has it, with
/// everything slow made small.
///
/// Layout (relative paths as in the checkout):
/// - `launch/*`: symlinks to the repository's launch scripts, except
/// - `launch/configs/*.json`: shortened copies of the recipes (`shortened`), written here;
/// - `datasets`: a symlink to the repository's datasets/;
/// - `sst2/train.tsv`, `sst2/dev.tsv`: the first `sampleRows` rows of datasets/sample's, standing
///   for the reader's GLUE SST-2 directory (a debug build evaluates MiniLM at a few rows a
///   second, so the whole sample's 400 dev rows would take minutes per evaluation).
struct ReadmeScratch {
    let directory: URL

    /// What the shortened recipes set: two optimizer steps of 8 samples, an evaluation and a
    /// checkpoint after each (so best.h5, step checkpoints and a resume all happen), a line per
    /// step; every other key of the recipe stays.
    static let shortening: [String: Int] = [
        "max-steps": 2, "eval-every": 1, "save-every": 1, "log-every": 1, "global-batch": 8,
    ]
    /// How many rows of datasets/sample's train.tsv and dev.tsv the scratch `sst2/` holds.
    static let sampleRows = ["train.tsv": 256, "dev.tsv": 48]

    /// Makes the layout in a new temporary directory.
    static func make() throws -> ReadmeScratch {
        let fileManager = FileManager.default
        let root = TestPaths.repositoryRoot
        let directory = fileManager.temporaryDirectory.appendingPathComponent("txf-readme-\(UUID().uuidString)")
        let launch = directory.appendingPathComponent("launch")
        try fileManager.createDirectory(at: launch.appendingPathComponent("configs"), withIntermediateDirectories: true)
        for name in try fileManager.contentsOfDirectory(atPath: root.appendingPathComponent("launch").path) where name != "configs" {
            try fileManager.createSymbolicLink(at: launch.appendingPathComponent(name),
                                               withDestinationURL: root.appendingPathComponent("launch/\(name)"))
        }
        let configs = root.appendingPathComponent("launch/configs")
        for name in try fileManager.contentsOfDirectory(atPath: configs.path) where name.hasSuffix(".json") {
            let data = try Data(contentsOf: configs.appendingPathComponent(name))
            try shortened(data).write(to: launch.appendingPathComponent("configs/\(name)"))
        }
        try fileManager.createSymbolicLink(at: directory.appendingPathComponent("datasets"),
                                           withDestinationURL: root.appendingPathComponent("datasets"))
        let sst2 = directory.appendingPathComponent("sst2")
        try fileManager.createDirectory(at: sst2, withIntermediateDirectories: true)
        for (name, rows) in sampleRows {
            let text = try String(contentsOf: root.appendingPathComponent("datasets/sample/\(name)"), encoding: .utf8)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).prefix(1 + rows)
            try (lines.joined(separator: "\n") + "\n").write(to: sst2.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return ReadmeScratch(directory: directory)
    }

    /// A recipe (a JSON object of txf-train keys) with `shortening` laid over it; every other
    /// key kept as it is.
    static func shortened(_ recipe: Data) throws -> Data {
        guard var object = try JSONSerialization.jsonObject(with: recipe) as? [String: Any] else {
            throw MarkdownError(description: "a launch/configs recipe is not a JSON object")
        }
        for (key, value) in shortening { object[key] = value }
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}

/// The README's runnable blocks as one bash script, and where each of its lines came from.
struct ReadmeScript {
    /// The script: standard error into standard output (one stream, in order), `set -euo
    /// pipefail`, then every block that runs, in order, each after an `echo` of its location.
    let text: String
    /// For each line of `text` (index = line number − 1), the Markdown line it was copied from.
    let origins: [String?]
    /// The last line the script prints when every block ran.
    static let finished = "doc-test: every block ran"
    /// What the ERR trap prints before the failing script line number.
    static let failedAt = "doc-test: failed at script line "

    init(blocks: [FencedBlock]) {
        var lines = ["exec 2>&1", "set -euo pipefail", "trap 'echo \"\(ReadmeScript.failedAt)$LINENO (exit $?)\"' ERR"]
        var origins: [String?] = [nil, nil, nil]
        for block in blocks where block.runs {
            lines.append("echo 'doc-test: \(block.location)'")
            origins.append(nil)
            for (offset, line) in block.lines.enumerated() {
                lines.append(line)
                origins.append("\(block.file):\(block.fenceLine + 1 + offset)")
            }
        }
        lines.append("echo '\(ReadmeScript.finished)'")
        origins.append(nil)
        text = lines.joined(separator: "\n") + "\n"
        self.origins = origins
    }

    /// The Markdown line and text of the command that failed, from the ERR trap's line in `output`.
    func failure(in output: String) -> String? {
        guard let trap = output.components(separatedBy: "\n").last(where: { $0.hasPrefix(ReadmeScript.failedAt) }),
              let number = Int(trap.dropFirst(ReadmeScript.failedAt.count).prefix { $0.isNumber }),
              number >= 1, number <= origins.count, let origin = origins[number - 1] else { return nil }
        let line = text.components(separatedBy: "\n")[number - 1]
        return "\(origin): \(line)"
    }
}
