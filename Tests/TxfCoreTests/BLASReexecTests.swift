import Foundation
import Testing
import TxfCore

/// Runs the built `txf` (next to the test runner in the build folder) to check that kernel
/// selection really re-execs with OPENBLAS_CORETYPE set: the variable only works if it is in
/// the environment before OpenBLAS's constructor runs.
@Suite("BLAS re-exec", .serialized)
struct BLASReexecTests {
    /// `txf` beside this test executable, or nil when it was not built.
    static let txfPath: String? = {
        let runner = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var folder = runner.deletingLastPathComponent()
        // On macOS the runner sits inside a bundle (…/txfPackageTests.xctest/Contents/MacOS).
        while folder.path.contains(".xctest") { folder.deleteLastPathComponent() }
        let candidate = folder.appendingPathComponent("txf").path
        return FileManager.default.isExecutableFile(atPath: candidate) ? candidate : nil
    }()

    /// Runs `txf bench --sgemm --json` on one small shape with extra environment variables
    /// (nil removes one) and returns the `blas` object.
    static func benchBLAS(_ environment: [String: String?]) throws -> [String: Any] {
        let path = try #require(txfPath)
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        env["TXF_BLAS_REEXEC"] = nil
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["bench", "--sgemm", "--json", "--shape", "64x32x64NT", "--seconds-per-shape", "0.01"]
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "txf bench failed: \(errors)")
        let object = try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try #require(object["blas"] as? [String: Any])
    }

    @Test(.enabled(if: txfPath != nil, "txf not built next to the tests"))
    func userChoiceReexecsWithHaswell() throws {
        let blas = try Self.benchBLAS(["TXF_BLAS_CORETYPE": "Haswell", "OPENBLAS_CORETYPE": nil, "TXF_BLAS_THREADS": "1"])
        #expect(blas["kernels"] as? String == "Haswell")
        #expect(blas["kernelSource"] as? String == "user")
        #expect(blas["reexecuted"] as? Bool == true)
        #expect(blas["threads"] as? Int == 1)
    }

    /// A slow preset (SSE3-era Prescott) is replaced by the widest kernels this CPU runs.
    @Test(.enabled(if: txfPath != nil && CPUFeatures.current().hasAVX2, "needs txf and an AVX2 CPU"))
    func automaticChoiceReplacesASlowPreset() throws {
        let blas = try Self.benchBLAS(["TXF_BLAS_CORETYPE": nil, "OPENBLAS_CORETYPE": "Prescott", "TXF_BLAS_THREADS": "1"])
        let cpu = BLASKernelClass(features: CPUFeatures.current())
        #expect(cpu.prefers(loaded: try #require(blas["kernels"] as? String)))
        #expect(blas["kernelClass"] as? String == cpu.label)
        #expect(blas["kernelSource"] as? String == "txf")
        #expect(blas["reexecuted"] as? Bool == true)
    }

    /// Nothing set: the process ends up on the kernels txf prefers for this CPU, whether
    /// OpenBLAS detected them or txf re-exec'd for them.
    @Test(.enabled(if: txfPath != nil, "txf not built next to the tests"))
    func defaultRunsThePreferredKernels() throws {
        let blas = try Self.benchBLAS(["TXF_BLAS_CORETYPE": nil, "OPENBLAS_CORETYPE": nil, "TXF_BLAS_THREADS": "1"])
        let cpu = BLASKernelClass(features: CPUFeatures.current())
        #expect(cpu.prefers(loaded: try #require(blas["kernels"] as? String)))
    }

    /// `system` leaves the environment's choice alone: no re-exec.
    @Test(.enabled(if: txfPath != nil, "txf not built next to the tests"))
    func systemKeepsThePreset() throws {
        let blas = try Self.benchBLAS(["TXF_BLAS_CORETYPE": "system", "OPENBLAS_CORETYPE": "Sandybridge", "TXF_BLAS_THREADS": "1"])
        #expect(blas["kernels"] as? String == "Sandybridge")
        #expect(blas["reexecuted"] as? Bool == false)
    }
}
