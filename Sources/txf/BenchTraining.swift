import ArgumentParser
import CAllocationCount
import Foundation
import TxfCore
import TxfModel
import TxfTrain

/// `txf bench` options of the training-step section.
///
/// The settings it shares with `txf-train` (batch, grouping, seed, LoRA) are that command's
/// declarations (`TrainSetting`), typed the same way; the rest is the benchmark's own.
struct TrainingStepOptions: ParsableArguments {
    /// The training settings the benchmark takes.
    static var settings: [TrainSetting] { TrainSetting.named([
        "global-batch", "micro-batch", "group-by-length", "length-group-batches", "seed", "precision", "lora-rank", "lora-alpha", "lora-dropout", "lora-targets",
    ]) }

    /// Their defaults here: txf-train's, but the seed, which was 1 in every published bench.
    static let defaults: TrainConfig = {
        var config = TrainConfig()
        config.seed = 1
        return config
    }()

    /// The help of the shared settings, under the options' title.
    static var settingsHelp: String { TrainSetting.help(settings, defaults: defaults, title: "Training step settings (as txf-train takes them)") }

    @Option(help: "A txf model file or checkpoint (weights and architecture). Default: MiniLM shapes, random weights.")
    var model: String?

    @Option(help: "A prepared dataset (txf prepare) whose rows the steps use. Default: synthetic SST-2-like lengths.")
    var data: String?

    @Option(help: "Optimizer steps timed (after the warm-up steps).")
    var steps = 20

    @Option(help: "Untimed optimizer steps first.")
    var warmupSteps = 3

    @Flag(help: "Time LoRA fine-tuning (frozen encoder, adapters) instead of full fine-tuning.")
    var lora = false

    @Flag(help: "Sum the whole gradient densely (default: the word-embedding rows any rank touched, then the rest).")
    var denseAllreduce = false

    @Flag(help: "Under mpirun, also time the same global batch on rank 0 alone (W = 1) for the scaling figure.")
    var scaling = false

    /// The shared settings' flags as typed.
    @Argument(parsing: .allUnrecognized, help: .hidden)
    var settingFlags: [String] = []

    /// The shared settings: the defaults with the flags applied.
    func trainSettings() throws -> TrainConfig {
        var config = Self.defaults
        do {
            try TrainSetting.apply(flags: settingFlags, of: Self.settings, otherFlags: Bench.ownFlags, to: &config)
        } catch let error as TxfError {
            throw ValidationError(error.message)
        }
        if lora { config.mode = .lora }
        return config
    }

    func validate() throws {
        let config = try trainSettings()
        if config.globalBatch < 1 { throw ValidationError("--global-batch must be at least 1") }
        if let microBatch = config.microBatch, microBatch < 1 { throw ValidationError("--micro-batch must be at least 1") }
        if lora { _ = try config.loraConfig() }
        if steps < 1 { throw ValidationError("--steps must be at least 1") }
        if warmupSteps < 0 { throw ValidationError("--warmup-steps must be at least 0") }
    }

    func options() throws -> TrainingBenchmark.Options {
        let config = try trainSettings()
        var o = TrainingBenchmark.Options()
        o.modelPath = model
        o.dataPath = data
        o.globalBatch = config.globalBatch
        o.microBatch = config.microBatch
        o.steps = steps
        o.warmupSteps = warmupSteps
        o.groupByLength = config.groupByLength
        o.lengthGroupBatches = config.lengthGroupBatches
        o.seed = config.seed
        o.precision = config.precision
        o.denseAllReduce = denseAllreduce
        o.measureScaling = scaling
        o.lora = lora ? try config.loraConfig() : nil
        // This executable links CAllocationCount, which counts every malloc of the process.
        if txf_allocation_counting() != 0 { o.allocationCounter = { Int(txf_allocation_count()) } }
        return o
    }
}

/// The training section as a table.
func trainingTable(_ r: TrainingBenchmark.Report) -> String {
    func ms(_ seconds: Double) -> String { String(format: "%8.1f ms", seconds * 1e3) }
    func share(_ seconds: Double) -> String { String(format: "%5.1f%%", 100 * seconds / r.stepSeconds) }
    let gather = String(format: "%.1f MB of the gradient reduce-scattered, ", r.reduceScatterMB)
        + "parameters all-gathered as \(r.parameterGatherType), " + String(format: "%.1f MB", r.parameterGatherMB)
    let other = r.stepSeconds - r.forwardSeconds - r.backwardSeconds - r.allReduceSeconds - r.optimizerSeconds - r.waitSeconds
    var lines = [
        "",
        "training step, \(r.mode == "full" ? "full fine-tuning" : r.mode): \(r.model); \(r.trainableParameters) trainable parameters",
        r.precision,
        "data: \(r.lengths); global batch \(r.globalBatch) = \(r.worldSize) rank\(r.worldSize == 1 ? "" : "s") × micro-batch \(r.microBatch) × \(r.accumulation) accumulation; \(r.blasThreadsPerRank) BLAS thread\(r.blasThreadsPerRank == 1 ? "" : "s") per rank; \(r.steps) steps timed",
        "phase          time/step   share   (mean over ranks)",
        "forward      " + ms(r.forwardSeconds) + "  " + share(r.forwardSeconds),
        "backward     " + ms(r.backwardSeconds) + "  " + share(r.backwardSeconds),
        "all-reduce   " + ms(r.allReduceSeconds) + "  " + share(r.allReduceSeconds)
            + (r.allReduceRows.map { String(format: "   (word-embedding rows: %.0f of the union all-reduced; the rest reduce-scattered; ", $0) + gather + ")" }
               ?? (r.worldSize > 1 ? "   (gradient reduce-scattered, \(gather))" : "")),
        "imbalance    " + ms(r.waitSeconds) + "  " + share(r.waitSeconds)
            + (r.overlapOn == nil ? "   (waiting for the slowest rank's forward and backward)" : "   (with overlap, part of the reduction waited for)"),
        "optimizer    " + ms(r.optimizerSeconds) + "  " + share(r.optimizerSeconds) + (r.worldSize > 1 ? "   (zero, clip, AdamW on this rank's 1/\(r.worldSize))" : "   (zero, clip, AdamW)"),
        "other        " + ms(other) + "  " + share(other),
        "step         " + ms(r.stepSeconds),
        String(format: "samples/s %.1f   tokens/s %.0f (real; %.0f%% of computed rows are padding)",
               r.samplesPerSecond, r.tokensPerSecond, 100 * r.paddingShare),
        String(format: "model FLOPs %.2f GFLOP/step   achieved %.1f GFLOP/s   sgemm peak %.1f GFLOP/s", r.modelGflopPerStep,
               r.achievedGflops, r.sgemmPeakGflops)
            + (r.bf16PeakGflops.map { String(format: "   bf16 peak %.1f GFLOP/s", $0) } ?? "")
            + String(format: " (model shapes, all ranks)   MFU %.1f%% (against the %@ peak)", 100 * r.mfu,
                     (r.bf16PeakGflops == nil ? "sgemm" : "bf16") as NSString),
        String(format: "model GFLOP per CPU-second %.1f   peak RSS %.0f MB (rank 0)", r.gflopPerCPUSecond, r.peakRSSMB),
        "heap allocations per step (rank 0): " + (r.allocationsPerStep.map { String(format: "%.1f", $0) } ?? "not counted (needs Linux with glibc)"),
    ]
    if let on = r.overlapOn, let off = r.overlapOff {
        lines.append(String(format: "gradient reduction behind backward: step %.1f ms with overlap, %.1f ms without (%.2f×); reduction waited for after backward %.1f ms (%.1f%% of the step) with, %.1f ms (%.1f%%) without",
                            on.stepSeconds * 1e3, off.stepSeconds * 1e3, off.stepSeconds / on.stepSeconds,
                            on.reductionSeconds * 1e3, 100 * on.reductionShare, off.reductionSeconds * 1e3, 100 * off.reductionShare))
    }
    if let single = r.singleRankSamplesPerSecond, let efficiency = r.scalingEfficiency {
        lines.append(String(format: "scaling: W = 1 alone %.1f samples/s, W = %d %.1f samples/s: %.2f× (efficiency %.0f%%)",
                            single, r.worldSize, r.samplesPerSecond, r.samplesPerSecond / single, 100 * efficiency))
    }
    lines.append("sgemm on the model's shapes (rank 0):")
    for s in r.sgemm.results {
        lines.append(String(format: "  %-18@ %7.1f GFLOP/s  %@", s.shape.label as NSString, s.gflops, s.shape.role as NSString))
    }
    return lines.joined(separator: "\n")
}
