import ArgumentParser
import Foundation
import TxfCore
import TxfDist
import TxfTrain

@main
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "txf-train",
        abstract: "Train a BERT-style classifier, data-parallel over MPI ranks.",
        discussion: """
            Run it under mpirun (or launch/txf-mpirun); without mpirun it trains on one rank. \
            Rank 0 prints progress and writes checkpoints and metrics.jsonl into --out; \
            after a crash or kill, the same command with --resume auto continues the run.

            Example:
              launch/txf-mpirun -n 4 txf-train \\
                --config launch/configs/sst2-scratch.json \\
                --train data/train.h5 --eval data/dev.h5 --out runs/sst2
            """)

    @OptionGroup(title: "Files") var files: FileOptions
    @OptionGroup(title: "Model (from scratch)") var model: ModelOptions
    @OptionGroup(title: "Fine-tuning (with --init)") var fineTuning: FineTuneOptions
    @OptionGroup(title: "Optimisation") var optimization: OptimizationOptions
    @OptionGroup(title: "Logging, evaluation, checkpoints") var runOptions: RunOptions

    /// The config file with the flags applied over it.
    func resolvedConfig() throws -> TrainConfig {
        var config = try files.config.map { try TrainConfig.load(path: $0) } ?? TrainConfig()
        files.apply(to: &config)
        model.apply(to: &config)
        fineTuning.apply(to: &config)
        optimization.apply(to: &config)
        runOptions.apply(to: &config)
        return config
    }

    mutating func validate() throws {
        do { try resolvedConfig().validate(worldSize: Launch.worldSize) } catch let error as TxfError {
            throw ValidationError(error.message)
        }
    }

    func run() throws {
        let config = try resolvedConfig()
        let communicator = defaultCommunicator()
        do {
            try BLASRuntime.configureThreads(ranksOnNode: communicator.localRankCount)
        } catch {
            throw CollectiveError(String(describing: error))
        }
        let printer = ProgressPrinter()
        if communicator.isRoot { printer.say(BLASRuntime.startupLine()) }
        let trainer = try Trainer(config: config, communicator: communicator)
        if communicator.isRoot { printer.say(trainer.summary) }
        try trainer.run { printer.show($0) }
    }

    /// Parses, runs, and ends the process so that a failure prints one line: errors every
    /// rank shares (bad flags, `CollectiveError`) are printed by rank 0 only and every rank
    /// exits 1; an error on one rank alone aborts the whole job through MPI.
    static func main() {
        BLASRuntime.selectKernels()
        let isRoot = Launch.rank == 0
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as CollectiveError {
            if isRoot { writeError("txf-train: \(error.message)") }
            Foundation.exit(1)
        } catch let error as TxfError {
            // A failed agreement (every rank, printed once) or one rank's own failure (a read
            // error mid-run, printed by that rank): either way every rank ends now.
            defaultCommunicator().endJob(for: error)
        } catch {
            if isRoot { exit(withError: error) }
            Foundation.exit(exitCode(for: error).rawValue)
        }
    }

    static func writeError(_ line: String) {
        fflush(nil)
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}

/// Rank and size as the launcher sets them, known before MPI starts (for argument errors).
enum Launch {
    static let environment = ProcessInfo.processInfo.environment
    static var rank: Int { ["OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"].lazy.compactMap { environment[$0].flatMap(Int.init) }.first ?? 0 }
    static var worldSize: Int { ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE"].lazy.compactMap { environment[$0].flatMap(Int.init) }.first ?? 1 }
}
