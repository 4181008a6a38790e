import ArgumentParser
import Foundation
import TxfCommand
import TxfCore
import TxfDist
import TxfTrain

@main
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "txf-train",
        abstract: "Train a BERT-style classifier, data-parallel over MPI ranks.",
        usage: "txf-train [--config <config>] [--<setting> <value> ...]",
        discussion: """
            Run it under mpirun (or launch/txf-mpirun); without mpirun it trains on one rank. \
            Rank 0 prints progress and writes checkpoints and metrics.jsonl into --out; \
            after a crash or kill, the same command with --resume auto continues the run.

            Example:
              launch/txf-mpirun -n 4 txf-train \\
                --config launch/configs/sst2-scratch.json \\
                --train data/train.h5 --eval data/dev.h5 --out runs/sst2

            The settings below are flags, or keys of the --config file without the dashes \
            ("global-batch": 32, "group-by-length": false); flags override the file.


            """ + TrainSetting.help(),
        version: TxfVersion.number)

    @Option(help: "JSON file with any of the settings; its keys are the flag names without dashes (\"global-batch\": 32). Flags override it.")
    var config: String?

    /// The settings' flags as typed, read by `TrainSetting.apply(flags:to:)`.
    @Argument(parsing: .allUnrecognized, help: .hidden)
    var settings: [String] = []

    /// The config file with the flags applied over it.
    func resolvedConfig() throws -> TrainConfig {
        var resolved = try config.map { try TrainConfig.load(path: $0) } ?? TrainConfig()
        try TrainSetting.apply(flags: settings, otherFlags: ["config", "help"], to: &resolved)
        return resolved
    }

    mutating func validate() throws {
        do { try resolvedConfig().validate(worldSize: Job.launchWorldSize) } catch let error as TxfError {
            throw ValidationError(error.message)
        }
    }

    func run() throws {
        let started = monotonicSeconds()
        let config = try resolvedConfig()
        let communicator = defaultCommunicator()
        do {
            try BLASRuntime.configureThreads(ranksOnNode: communicator.localRankCount)
        } catch {
            throw CollectiveError(Job.text(of: error))
        }
        let printer = ProgressPrinter(style: config.progress)
        if communicator.isRoot { printer.say(BLASRuntime.startupLine()) }
        let trainer = try Trainer(config: config, communicator: communicator)
        if communicator.isRoot { printer.say(trainer.summary) }
        let startStep = trainer.step
        let stop = try trainer.run(report: { printer.show($0) })
        if communicator.isRoot { printer.say(trainer.endSummary(startStep: startStep, seconds: monotonicSeconds() - started).text) }
        if let stop {
            if communicator.isRoot { FileHandle.standardError.write(Data("txf-train: \(stop.message)\n".utf8)) }
            Foundation.exit(stop.exitStatus)
        }
        if communicator.isRoot, let early = trainer.earlyStop { printer.say(early.message) }
    }

    /// Chooses the BLAS kernels first (OpenBLAS reads OPENBLAS_CORETYPE before `main`, so a
    /// better choice than the environment's means one re-exec), then runs as every txf
    /// executable does (`mainAsJob`).
    static func main() {
        BLASRuntime.selectKernels()
        mainAsJob()
    }
}
