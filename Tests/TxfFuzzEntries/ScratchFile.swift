import Foundation

/// Where a fuzz input becomes a file for the readers that take a path: one file per process
/// and target, overwritten by every input, in /dev/shm where it exists (tmpfs: no disk writes
/// at thousands of inputs a second), else the temporary directory.
public enum ScratchFile {
    static let directory: String = {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: "/dev/shm", isDirectory: &isDirectory), isDirectory.boolValue {
            return "/dev/shm"
        }
        return FileManager.default.temporaryDirectory.path
    }()

    static func path(for target: String, extension fileExtension: String) -> String {
        "\(directory)/txf-fuzz-\(getpid())-\(target).\(fileExtension)"
    }

    /// Writes `bytes` to this process's scratch file for `target` and returns its path.
    static func write(_ bytes: UnsafeRawBufferPointer, for target: String, extension fileExtension: String) -> String {
        let path = path(for: target, extension: fileExtension)
        // Whole-file replace; a write that fails leaves a short file, which the parser must survive too.
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    /// Removes this process's scratch file for `target` (the replay tests call it when done).
    public static func remove(for target: FuzzTarget) {
        for fileExtension in ["tsv", "csv", "jsonl", "txt", "safetensors", "h5"] {
            try? FileManager.default.removeItem(atPath: path(for: target.rawValue, extension: fileExtension))
        }
    }
}
