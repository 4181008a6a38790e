// The shared test helpers (TestPaths, runProcess, findExecutable), for every file of this target.
@_exported import TxfTestSupport
import Foundation

extension TestPaths {
    /// Tests/TxfTextTests/Fixtures (the test target declares no resources).
    static var fixtures: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    }

    /// MiniLM's tokenizer.json (the Rust `tokenizers` pipeline it is served with), when present.
    static var minilmTokenizerJSON: String? { existing(minilmDirectory, "tokenizer.json") }

    /// python3 when it can import `tokenizers` (Hugging Face's Rust tokenizer), else nil.
    static let pythonWithTokenizers: String? = Python.has("tokenizers") ? Python.executable : nil
}
