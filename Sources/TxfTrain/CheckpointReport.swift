import Foundation
import TxfCore
import TxfStore

extension ModelArchive {
    /// `txf inspect`'s lines on the trainer's records of a checkpoint (none for a model file):
    /// mode, precision (the stored parameters are float32 in every one: the bf16 products'
    /// master weights), batch, and the learning-rate schedule with where the run stands in it.
    public func trainingReport() throws -> [String] {
        guard let training = meta.training else { return [] }
        let config = try runConfig()
        let schedule: LearningRateSchedule
        do {
            schedule = try JSONDecoder().decode(LearningRateSchedule.self, from: Data(training.schedule.utf8))
        } catch {
            throw TxfError("checkpoint \(path) is corrupt or incomplete: its schedule does not read (\(ModelArchive.message(error)))")
        }
        return [
            "Run: --mode \(config.mode.rawValue), --precision \(config.precision.rawValue), --global-batch \(config.globalBatch)",
            "Schedule: \(schedule.kind.rawValue), lr \(schedule.peak), warmup \(schedule.warmupSteps) steps, \(schedule.totalSteps) steps in all; at step \(training.step) of \(schedule.totalSteps)",
        ]
    }
}
