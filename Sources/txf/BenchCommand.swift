import ArgumentParser
import Foundation
import TxfCore
import TxfDist
import TxfModel
import TxfTrain

/// `txf bench`: measurements of this machine, one section per concern.
///
/// Sections are flags; naming none runs the default set. Each section adds one key to the
/// JSON object and one block to the table, so later sections (the training step) slot in
/// beside `--sgemm` without changing its output.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure this machine: sgemm throughput, and the training step (MFU, tokens/s, memory).",
        discussion: """
            Kernels: txf picks the fastest OpenBLAS kernels the CPU can run (SkylakeX where it has \
            AVX-512, Haswell where it has AVX2); set TXF_BLAS_CORETYPE=Haswell (or \
            another OpenBLAS core name, or `system` to keep OPENBLAS_CORETYPE) to override. \
            Threads: cores on the node / ranks on the node unless --threads or TXF_BLAS_THREADS \
            says otherwise. Under mpirun with 1 rank, pass --bind-to none to use every core.

            --training times full fine-tuning steps (MiniLM shapes and random weights unless \
            --model names a txf model file; SST-2-like synthetic lengths unless --data names a \
            prepared dataset) split into forward, backward, all-reduce and optimizer, and reports \
            MFU against the sgemm peak measured in the same run on the model's own shapes. Run it \
            under mpirun to include the all-reduce, e.g. \
            `launch/txf-mpirun -n 2 txf bench --training --data data/train.h5 --scaling`; \
            --lora times LoRA fine-tuning instead. Heap allocations are counted in-process (every \
            malloc, calloc, realloc and aligned allocation of the process, all threads, MPI's \
            included) over the timed steps.


            """ + TrainingStepOptions.settingsHelp)

    @Flag(help: "Time sgemm on BERT/MiniLM shapes (the default when no section is named).")
    var sgemm = false

    @Flag(help: "Time the full fine-tuning step (a default section).")
    var training = false

    @OptionGroup(title: "Training step")
    var step: TrainingStepOptions

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
        try step.validate()
        for text in shapeTexts where SgemmBenchmark.Shape(parsing: text) == nil {
            throw ValidationError("--shape '\(text)' is not MxKxN with an optional NN/NT/TN/TT suffix")
        }
    }

    /// The flags declared here and in `TrainingStepOptions`, suggested for a mistyped flag.
    static let ownFlags = ["sgemm", "training", "threads", "shape", "seconds-per-shape", "json", "help",
                           "model", "data", "steps", "warmup-steps", "lora", "dense-allreduce", "scaling"]

    /// No section flag given: run every section (add each new section's flag here).
    private var noneNamed: Bool { !sgemm && !training }
    private var runsSgemm: Bool { sgemm || noneNamed }
    private var runsTraining: Bool { training || noneNamed }

    func run() throws {
        // A no-op when main already chose the kernels; keeps `txf bench` right on its own.
        BLASRuntime.selectKernels()
        let communicator = defaultCommunicator()
        try BLASRuntime.configureThreads(ranksOnNode: communicator.localRankCount, override: threads)

        var output = BenchOutput(blas: BLASRuntime.summary())
        if runsSgemm {
            let shapes = shapeTexts.isEmpty ? SgemmBenchmark.bertShapes : shapeTexts.compactMap { SgemmBenchmark.Shape(parsing: $0) }
            output.sgemm = SgemmBenchmark.run(shapes: shapes, secondsPerShape: secondsPerShape)
        }
        if runsTraining {
            output.training = try TrainingBenchmark.run(try step.options(), communicator: communicator)
        }
        guard communicator.rank == 0 else { return }

        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(output), as: UTF8.self))
        } else {
            print(BLASRuntime.startupLine())
            if let report = output.sgemm { print(sgemmTable(report)) }
            if let report = output.training { print(trainingTable(report)) }
        }
    }
}

/// The JSON object `txf bench --json` prints: one key per section that ran; the training
/// section's headline figures (`samples_per_s`, `tokens_per_s`, `mfu`, `sgemm_peak_gflops`,
/// `allreduce_share`, `allocations_per_step`, `peak_rss_mb`, …) also sit at the top level.
struct BenchOutput: Encodable {
    var blas: BLASRuntime.Summary
    var sgemm: SgemmBenchmark.Report?
    var training: TrainingBenchmark.Report?

    enum CodingKeys: String, CodingKey { case blas, sgemm, training }
    enum NullKeys: String, CodingKey { case allocationsPerStep = "allocations_per_step" }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(blas, forKey: .blas)
        try c.encodeIfPresent(sgemm, forKey: .sgemm)
        // The training report's keys go straight into this object (JSONEncoder merges a
        // second keyed container into the same one).
        try training?.encode(to: encoder)
        if let training, training.allocationsPerStep == nil {
            // Always present: null says "not counted" (a system without glibc).
            var extra = encoder.container(keyedBy: NullKeys.self)
            try extra.encodeNil(forKey: .allocationsPerStep)
        }
    }
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
