import ArgumentParser
import CAllocationCount
import Foundation
import TxfModel
import TxfTrain

/// `txf bench` options of the training-step section.
struct TrainingStepOptions: ParsableArguments {
    @Option(help: "A txf model file or checkpoint (weights and architecture). Default: MiniLM shapes, random weights.")
    var model: String?

    @Option(help: "A prepared dataset (txf prepare) whose rows the steps use. Default: synthetic SST-2-like lengths.")
    var data: String?

    @Option(help: "Samples per optimizer step, all ranks together.")
    var globalBatch = 32

    @Option(help: "Samples per rank per micro-step (default: global batch / ranks).")
    var microBatch: Int?

    @Option(help: "Optimizer steps timed (after the warm-up steps).")
    var steps = 20

    @Option(help: "Untimed optimizer steps first.")
    var warmupSteps = 3

    @Flag(inversion: .prefixedNo, help: "Group rows of similar length into global batches (as txf-train does by default).")
    var groupByLength = true

    @Flag(help: "Time LoRA fine-tuning (frozen encoder, adapters) instead of full fine-tuning.")
    var lora = false

    @Option(help: "LoRA rank r (with --lora).")
    var loraRank = 8

    @Option(help: "LoRA alpha; the update is scaled by alpha / r (with --lora).")
    var loraAlpha = 16.0

    @Option(help: "Dropout on the adapters' input (with --lora).")
    var loraDropout = 0.1

    @Option(help: "Adapted layers, comma-separated: query,key,value,attention.output,intermediate,output (with --lora).")
    var loraTargets = "query,value"

    @Flag(help: "Sum the whole gradient densely (default: the word-embedding rows any rank touched, then the rest).")
    var denseAllreduce = false

    @Flag(help: "Under mpirun, also time the same global batch on rank 0 alone (W = 1) for the scaling figure.")
    var scaling = false

    @Option(help: "Seed of weights, synthetic rows, data order and dropout.")
    var seed: UInt64 = 1

    func validate() throws {
        if globalBatch < 1 { throw ValidationError("--global-batch must be at least 1") }
        if let microBatch, microBatch < 1 { throw ValidationError("--micro-batch must be at least 1") }
        if lora { try loraConfig().validate() }
        if steps < 1 { throw ValidationError("--steps must be at least 1") }
        if warmupSteps < 0 { throw ValidationError("--warmup-steps must be at least 0") }
    }

    func loraConfig() throws -> LoRAConfig {
        LoRAConfig(rank: loraRank, alpha: loraAlpha, dropout: loraDropout, targets: try LoRATarget.parseList(loraTargets))
    }

    var options: TrainingBenchmark.Options {
        var o = TrainingBenchmark.Options()
        o.modelPath = model
        o.dataPath = data
        o.globalBatch = globalBatch
        o.microBatch = microBatch
        o.steps = steps
        o.warmupSteps = warmupSteps
        o.groupByLength = groupByLength
        o.seed = seed
        o.denseAllReduce = denseAllreduce
        o.measureScaling = scaling
        o.lora = lora ? try? loraConfig() : nil
        // This executable links CAllocationCount, which counts every malloc of the process.
        if txf_allocation_counting() != 0 { o.allocationCounter = { Int(txf_allocation_count()) } }
        return o
    }
}

/// The training section as a table.
func trainingTable(_ r: TrainingBenchmark.Report) -> String {
    func ms(_ seconds: Double) -> String { String(format: "%8.1f ms", seconds * 1e3) }
    func share(_ seconds: Double) -> String { String(format: "%5.1f%%", 100 * seconds / r.stepSeconds) }
    let other = r.stepSeconds - r.forwardSeconds - r.backwardSeconds - r.allReduceSeconds - r.optimizerSeconds - r.waitSeconds
    var lines = [
        "",
        "training step, \(r.mode == "full" ? "full fine-tuning" : r.mode): \(r.model); \(r.trainableParameters) trainable parameters",
        "data: \(r.lengths); global batch \(r.globalBatch) = \(r.worldSize) rank\(r.worldSize == 1 ? "" : "s") × micro-batch \(r.microBatch) × \(r.accumulation) accumulation; \(r.blasThreadsPerRank) BLAS thread\(r.blasThreadsPerRank == 1 ? "" : "s") per rank; \(r.steps) steps timed",
        "phase          time/step   share   (mean over ranks)",
        "forward      " + ms(r.forwardSeconds) + "  " + share(r.forwardSeconds),
        "backward     " + ms(r.backwardSeconds) + "  " + share(r.backwardSeconds),
        "all-reduce   " + ms(r.allReduceSeconds) + "  " + share(r.allReduceSeconds)
            + (r.allReduceRows.map { String(format: "   (word-embedding rows: %.0f of the union all-reduced; the rest reduce-scattered; parameters all-gathered)", $0) }
               ?? (r.worldSize > 1 ? "   (gradient reduce-scattered, parameters all-gathered)" : "")),
        "imbalance    " + ms(r.waitSeconds) + "  " + share(r.waitSeconds) + "   (waiting for the slowest rank's forward and backward)",
        "optimizer    " + ms(r.optimizerSeconds) + "  " + share(r.optimizerSeconds) + (r.worldSize > 1 ? "   (zero, clip, AdamW on this rank's 1/\(r.worldSize))" : "   (zero, clip, AdamW)"),
        "other        " + ms(other) + "  " + share(other),
        "step         " + ms(r.stepSeconds),
        String(format: "samples/s %.1f   tokens/s %.0f (real; %.0f%% of computed rows are padding)",
               r.samplesPerSecond, r.tokensPerSecond, 100 * r.paddingShare),
        String(format: "model FLOPs %.2f GFLOP/step   achieved %.1f GFLOP/s   sgemm peak %.1f GFLOP/s (model shapes, all ranks)   MFU %.1f%%",
               r.modelGflopPerStep, r.achievedGflops, r.sgemmPeakGflops, 100 * r.mfu),
        String(format: "model GFLOP per CPU-second %.1f   peak RSS %.0f MB (rank 0)", r.gflopPerCPUSecond, r.peakRSSMB),
        "heap allocations per step (rank 0): " + (r.allocationsPerStep.map { String(format: "%.1f", $0) } ?? "not counted (needs Linux with glibc)"),
    ]
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
