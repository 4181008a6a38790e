import Foundation
import TxfText

/// Where the test inputs live, found from this file's path (the test target declares no
/// resources) and from the environment.
enum TestPaths {
    /// Tests/TxfTextTests/Fixtures.
    static var fixtures: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    }

    /// The repository root.
    static var repoRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// MiniLM's vocab.txt from $TXF_MINILM_DIR or ~/.cache/txf/minilm, when present.
    static var minilmVocab: String? { minilmFile("vocab.txt") }

    /// MiniLM's tokenizer.json (the Rust `tokenizers` pipeline it is served with), when present.
    static var minilmTokenizerJSON: String? { minilmFile("tokenizer.json") }

    private static func minilmFile(_ name: String) -> String? {
        let dir = ProcessInfo.processInfo.environment["TXF_MINILM_DIR"]
            ?? (NSHomeDirectory() as NSString).appendingPathComponent(".cache/txf/minilm")
        let path = (dir as NSString).appendingPathComponent(name)
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// python3 on $PATH when it can import `tokenizers` (Hugging Face's Rust tokenizer), else nil.
    static let pythonWithTokenizers: String? = {
        guard let python = findExecutable("python3"),
              let (status, _) = try? runProcess(python, ["-c", "import tokenizers"]), status == 0
        else { return nil }
        return python
    }()

    /// The SST-2 directory (train.tsv, dev.tsv) from $TXF_SST2_DIR or ../shared/datasets/sst2.
    static var sst2: URL? {
        let dir = ProcessInfo.processInfo.environment["TXF_SST2_DIR"].map { URL(fileURLWithPath: $0) }
            ?? repoRoot.deletingLastPathComponent().appendingPathComponent("shared/datasets/sst2")
        return FileManager.default.fileExists(atPath: dir.appendingPathComponent("train.tsv").path) ? dir : nil
    }
}

/// Runs a process to completion, returning its exit status and standard output.
/// Standard error is discarded.
func runProcess(_ executable: String, _ arguments: [String]) throws -> (status: Int32, stdout: Data) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, data)
}

/// The path of `name` on $PATH, or nil.
func findExecutable(_ name: String) -> String? {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
        let path = "\(dir)/\(name)"
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
}
