import Foundation

/// Where tests write their files: one directory per test process under the system's temporary
/// directory, removed when the process exits, so a test run leaves nothing behind in /tmp.
public enum TestScratch {
    /// `$TMPDIR/txf-tests-PID`, created on first use.
    public static let root: String = {
        let path = NSTemporaryDirectory() + "txf-tests-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: TestScratch.root) }
        return path
    }()

    /// A path no other call returns, ending in `name` (so an extension stays last); nothing is created.
    public static func path(_ name: String) -> String {
        root + "/\(UUID().uuidString.prefix(8))-\(name)"
    }

    /// A new empty directory at `path(name)`.
    public static func directory(_ name: String) throws -> String {
        let directory = path(name)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }
}
