import Foundation

/// Where the tests find the repository, the built executables and the optional inputs that
/// are not in the repository (SST-2, MiniLM). Tests that need a missing input skip with the
/// matching `…Missing` message.
public enum TestPaths {
    /// The repository root, from this file's path (Tests/TxfTestSupport/TestPaths.swift).
    public static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// launch/txf-mpirun, which every multi-rank test starts its jobs with.
    public static let launcher = repositoryRoot.appendingPathComponent("launch/txf-mpirun")

    // MARK: - Built executables

    /// The built executable `name` (txf, txf-train, txf-mpi-selftest): the path in the
    /// variable named after it (`TXF_MPI_SELFTEST` for txf-mpi-selftest), else next to the
    /// running test binary (SwiftPM puts every product of a build in one directory, whatever
    /// --scratch-path is).
    public static func built(_ name: String) -> URL? {
        let fileManager = FileManager.default
        let variable = name.uppercased().replacingOccurrences(of: "-", with: "_")
        if let path = ProcessInfo.processInfo.environment[variable] { return URL(fileURLWithPath: path) }
        var directories: [URL] = []
        if let exe = try? fileManager.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            directories.append(URL(fileURLWithPath: exe).deletingLastPathComponent())
        }
        if let exe = Bundle.main.executableURL { directories.append(exe.deletingLastPathComponent()) }
        directories.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        // On macOS the test binary sits inside an .xctest bundle next to the products.
        directories += directories.map { $0.deletingLastPathComponent().deletingLastPathComponent() }
        return directories.map { $0.appendingPathComponent(name) }
            .first { fileManager.isExecutableFile(atPath: $0.path) }
    }

    // MARK: - SST-2

    /// The SST-2 directory: $TXF_SST2_DIR, else ../shared/datasets/sst2 beside the repository.
    public static var sst2Directory: URL {
        ProcessInfo.processInfo.environment["TXF_SST2_DIR"].map { URL(fileURLWithPath: $0) }
            ?? repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/datasets/sst2")
    }

    /// The SST-2 directory when it holds train.tsv.
    public static var sst2: URL? { existing(sst2Directory, "train.tsv") != nil ? sst2Directory : nil }

    /// SST-2's dev.tsv, when present.
    public static var sst2Dev: String? { existing(sst2Directory, "dev.tsv") }

    public static let sst2Missing = "needs SST-2 ($TXF_SST2_DIR or ../shared/datasets/sst2)"

    // MARK: - MiniLM

    /// The MiniLM directory: $TXF_MINILM_DIR, else ~/.cache/txf/minilm (launch/fetch-minilm.sh).
    public static var minilmDirectory: URL {
        URL(fileURLWithPath: ProcessInfo.processInfo.environment["TXF_MINILM_DIR"]
            ?? (NSHomeDirectory() as NSString).appendingPathComponent(".cache/txf/minilm"))
    }

    /// MiniLM's vocab.txt, when present.
    public static var minilmVocab: String? { existing(minilmDirectory, "vocab.txt") }

    /// The MiniLM directory when it is complete (config.json, vocab.txt, model.safetensors).
    public static var minilm: String? {
        let complete = ["config.json", "vocab.txt", "model.safetensors"].allSatisfy { existing(minilmDirectory, $0) != nil }
        return complete ? minilmDirectory.path : nil
    }

    public static let minilmMissing = "needs MiniLM in $TXF_MINILM_DIR or ~/.cache/txf/minilm (run launch/fetch-minilm.sh)"

    /// The path of `name` in `directory` when that file exists.
    public static func existing(_ directory: URL, _ name: String) -> String? {
        let path = directory.appendingPathComponent(name).path
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }
}

/// The path of `name` on $PATH, or nil.
public func findExecutable(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
}
