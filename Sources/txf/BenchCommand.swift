import ArgumentParser
import Foundation
import TxfCore

/// `txf bench`: measurements of this machine, one section per concern.
///
/// Sections are flags; naming none runs the default set. Each section adds one key to the
/// JSON object and one block to the table, so later sections (the training step) slot in
/// beside `--sgemm` without changing its output.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure this machine: sgemm throughput of the BLAS kernels txf runs with.",
        discussion: """
            Kernels: txf picks the fastest OpenBLAS kernels the CPU can run (SkylakeX where it has \
            AVX-512, Haswell where it has AVX2); set TXF_BLAS_CORETYPE=Haswell (or \
            another OpenBLAS core name, or `system` to keep OPENBLAS_CORETYPE) to override. \
            Threads: cores on the node / ranks on the node unless --threads or TXF_BLAS_THREADS \
            says otherwise. Under mpirun with 1 rank, pass --bind-to none to use every core.
            """)

    @Flag(help: "Time sgemm on BERT/MiniLM shapes (the default when no section is named).")
    var sgemm = false

    @Option(help: "BLAS threads (default: cores on the node / ranks on the node).")
    var threads: Int?

    @Option(name: .customLong("shape"),
            help: "An sgemm shape MxKxN with optional transposes (e.g. 64x32x64NT); repeat for more. Default: the BERT/MiniLM set.")
    var shapeTexts: [String] = []

    @Option(help: "Seconds of timing per sgemm shape, after warm-up.")
    var secondsPerShape: Double = 0.3

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if !(secondsPerShape > 0) { throw ValidationError("--seconds-per-shape must be positive") }
        for text in shapeTexts where SgemmBenchmark.Shape(parsing: text) == nil {
            throw ValidationError("--shape '\(text)' is not MxKxN with an optional NN/NT/TN/TT suffix")
        }
    }

    /// No section flag given: run every section (add each new section's flag here).
    private var noneNamed: Bool { !sgemm }
    private var runsSgemm: Bool { sgemm || noneNamed }

    func run() throws {
        // A no-op when main already chose the kernels; keeps `txf bench` right on its own.
        BLASRuntime.selectKernels()
        try BLASRuntime.configureThreads(override: threads)

        var output = BenchOutput(blas: BLASRuntime.summary())
        if runsSgemm {
            let shapes = shapeTexts.isEmpty ? SgemmBenchmark.bertShapes : shapeTexts.compactMap { SgemmBenchmark.Shape(parsing: $0) }
            output.sgemm = SgemmBenchmark.run(shapes: shapes, secondsPerShape: secondsPerShape)
        }

        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(output), as: UTF8.self))
        } else {
            print(BLASRuntime.startupLine())
            if let report = output.sgemm { print(sgemmTable(report)) }
        }
    }
}

/// The JSON object `txf bench --json` prints: one key per section that ran.
struct BenchOutput: Codable {
    var blas: BLASRuntime.Summary
    var sgemm: SgemmBenchmark.Report?
}

/// The sgemm section as a table: shape, GFLOP/s, GFLOP/s per thread, GFLOP per CPU-second, role.
func sgemmTable(_ report: SgemmBenchmark.Report) -> String {
    func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return right ? fill + text : text + fill
    }
    func number(_ value: Double) -> String { String(format: "%.1f", value) }
    let perThread = report.threads == 1 ? "GFLOP/s/thread" : "GFLOP/s/thread (\(report.threads))"
    var lines = ["", "sgemm, row-major M×K×N, \(report.kernels) kernels, \(report.threads) thread\(report.threads == 1 ? "" : "s")",
                 pad("shape", 20) + pad("GFLOP/s", 10, right: true) + pad(perThread, perThread.count + 2, right: true)
                 + pad("GFLOP/cpu-s", 13, right: true) + "  role"]
    for r in report.results {
        lines.append(pad(r.shape.label, 20) + pad(number(r.gflops), 10, right: true)
                     + pad(number(r.gflopsPerThread), perThread.count + 2, right: true)
                     + pad(number(r.gflopsPerCPUSecond), 13, right: true) + "  " + r.shape.role)
    }
    lines.append(pad("peak", 20) + pad(number(report.peakGflops), 10, right: true)
                 + pad(number(report.peakGflopsPerThread), perThread.count + 2, right: true))
    lines.append("(GFLOP/cpu-s: per second of CPU time this process used; steadier than wall-clock figures on a shared machine)")
    return lines.joined(separator: "\n")
}
