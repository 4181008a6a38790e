import Foundation
import TxfCore
import TxfStore

/// What a run saves without being asked, and what a resume may change.
///
/// A step checkpoint every `defaultSaveEvery` steps (a crash loses at most that many), the
/// newest `--keep` of them kept; `best.h5` weights-only (it is for predicting and exporting;
/// its moments would double its size); `final.h5` whole, since `--resume auto` continues from
/// it. The interval is in steps, not minutes, so every rank saves after the same step without
/// agreeing on a clock.
extension TrainConfig {
    /// Steps between checkpoints when `--save-every` is not given.
    public static let defaultSaveEvery = 500

    /// Steps between step checkpoints; 0 = none (only `final.h5`).
    public var checkpointInterval: Int { saveEvery ?? TrainConfig.defaultSaveEvery }
}

extension Trainer {
    /// Refuses to resume checkpoint `c` with a learning-rate schedule other than the one it was
    /// trained on (`schedule`, this run's), naming each setting that differs with both values,
    /// unless `--allow-schedule-change`: resuming with another length or rate would silently
    /// re-stretch the rates of the steps still to come.
    static func checkSchedule(_ c: ModelArchive, against schedule: LearningRateSchedule, config: TrainConfig) throws {
        guard config.allowScheduleChange != true else { return }
        let stored: LearningRateSchedule
        do {
            stored = try JSONDecoder().decode(LearningRateSchedule.self, from: Data((c.meta.training?.schedule ?? "").utf8))
        } catch {
            throw TxfError("checkpoint \(c.path) is corrupt or incomplete: its schedule does not read (\(ModelArchive.message(error)))")
        }
        guard stored != schedule else { return }
        let before = try c.runConfig()
        var changes: [String] = []
        if stored.totalSteps != schedule.totalSteps {
            changes.append("steps in all \(stored.totalSteps) (\(length(before))), now \(schedule.totalSteps) (\(length(config)))")
        }
        if stored.peak != schedule.peak { changes.append("lr \(stored.peak), now \(schedule.peak)") }
        if stored.warmupSteps != schedule.warmupSteps {
            changes.append("warmup \(stored.warmupSteps) steps (\(warmup(before))), now \(schedule.warmupSteps) (\(warmup(config)))")
        }
        if stored.kind != schedule.kind { changes.append("schedule \(stored.kind.rawValue), now \(schedule.kind.rawValue)") }
        throw TxfError("checkpoint \(c.path) was trained with another learning-rate schedule: \(changes.joined(separator: "; ")). Give the checkpoint's settings, or pass --allow-schedule-change to continue with this run's schedule from step \(c.meta.training?.step ?? 0)")
    }

    /// "--max-steps 20" or "--epochs 3".
    private static func length(_ config: TrainConfig) -> String {
        config.maxSteps.map { "--max-steps \($0)" } ?? "--epochs \(config.epochs.shown)"
    }

    /// "--warmup-steps 2", "--warmup-ratio 0.1" or "no warmup".
    private static func warmup(_ config: TrainConfig) -> String {
        if let steps = config.warmupSteps { return "--warmup-steps \(steps)" }
        return config.warmupRatio.map { "--warmup-ratio \($0)" } ?? "no warmup"
    }
}
