import Foundation

/// python3 for the tests that check txf against code outside it (h5py, NumPy, Hugging Face).
/// Each such test skips when `has` says its modules are missing.
public enum Python {
    /// python3 on PATH, or nil.
    public static let executable: String? = findExecutable("python3")

    /// Whether python3 is here and imports `modules` ("numpy, safetensors").
    public static func has(_ modules: String) -> Bool {
        (try? run(["-c", "import \(modules)"]).status) == 0
    }

    /// Runs `python3 arguments…` to its end (a script path or `-c` source, then its arguments).
    public static func run(_ arguments: [String], timeout: Double = 1800) throws -> Job {
        guard let executable else { throw JobError("python3 not on PATH") }
        return try Job.run(executable: URL(fileURLWithPath: executable), arguments, timeout: timeout)
    }
}
