// The shared test helpers (TestPaths, runProcess, findExecutable), for every file of this target.
@_exported import TxfTestSupport
import Foundation

extension TestPaths {
    /// Tests/TxfTextTests/Fixtures (the test target declares no resources).
    static var fixtures: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    }
}
