import Foundation
import TxfCore
import TxfStore

/// The trainer's records in a checkpoint: its run config, schedule and optimizer, which the
/// store keeps as the JSON text written here (`TrainingState`).
extension TrainingState {
    /// The state of a run at `step`, the records encoded as a checkpoint stores them.
    init(step: Int, epoch: Int, stepInEpoch: Int, seed: UInt64, schedule: LearningRateSchedule, config: TrainConfig,
         optimizer: AdamW, worldSize: Int, datasetFingerprint: String, best: BestEvaluation?) throws {
        self.init(step: step, epoch: epoch, stepInEpoch: stepInEpoch, seed: seed, worldSize: worldSize,
                  datasetFingerprint: datasetFingerprint, best: best, config: config.json(),
                  schedule: try ModelArchive.json(schedule), optimizer: try ModelArchive.json(optimizer))
    }
}

extension ModelArchive {
    /// The resolved run config a checkpoint recorded; refused as corrupt when it does not read.
    public func runConfig() throws -> TrainConfig {
        do {
            return try JSONDecoder().decode(TrainConfig.self, from: Data((meta.training?.config ?? "").utf8))
        } catch {
            throw TxfError("checkpoint \(path) is corrupt or incomplete: \(ModelArchive.message(error))")
        }
    }
}
