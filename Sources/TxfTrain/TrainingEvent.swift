import TxfEval

/// What the training loop reports as it goes; the executable prints these and `MetricsLog`
/// stores them, one JSON object per line of `metrics.jsonl`.
public enum TrainingEvent: Sendable, Equatable {
    case train(TrainRecord)
    case eval(EvalRecord)
    case checkpoint(CheckpointRecord)

    /// The optimizer steps done when the event happened.
    public var step: Int {
        switch self {
        case .train(let r): r.step
        case .eval(let r): r.step
        case .checkpoint(let r): r.step
        }
    }
}

/// One log interval of training: the mean loss of its steps and the throughput over it.
public struct TrainRecord: Sendable, Equatable {
    /// Optimizer steps done (1 after the first update).
    public var step: Int
    /// Steps the run will take in all.
    public var totalSteps: Int
    /// Epochs done, fractional (steps / steps per epoch).
    public var epoch: Double
    /// Mean over the interval's steps of each step's loss (the mean over its global batch).
    public var loss: Double
    /// Learning rate of the interval's last step.
    public var lr: Float
    /// Gradient norm of the interval's last step, before clipping.
    public var gradNorm: Double
    /// Real (non-padding) tokens per second over the interval, all ranks together.
    public var tokensPerSecond: Double
    /// Samples per second over the interval, all ranks together.
    public var samplesPerSecond: Double
    /// Model FLOPs per second (6 · matmul parameters · real tokens plus attention; padding not
    /// counted), all ranks together, in 10⁹: divided by the machine's sgemm peak it is the MFU.
    public var gflopsPerSecond: Double
    /// Model FLOPs utilization: `gflopsPerSecond` ÷ the sgemm peak of all ranks together,
    /// measured on the model's own matrix shapes when training started; nil when not measured.
    public var mfu: Double?
    /// Seconds since this process started training (a resumed run counts from its resume).
    public var elapsedSeconds: Double
    /// Estimated seconds to the last step at the interval's pace.
    public var etaSeconds: Double

    public init(step: Int, totalSteps: Int, epoch: Double, loss: Double, lr: Float, gradNorm: Double,
                tokensPerSecond: Double, samplesPerSecond: Double, gflopsPerSecond: Double = 0,
                mfu: Double? = nil, elapsedSeconds: Double, etaSeconds: Double) {
        self.step = step
        self.totalSteps = totalSteps
        self.epoch = epoch
        self.loss = loss
        self.lr = lr
        self.gradNorm = gradNorm
        self.tokensPerSecond = tokensPerSecond
        self.samplesPerSecond = samplesPerSecond
        self.gflopsPerSecond = gflopsPerSecond
        self.mfu = mfu
        self.elapsedSeconds = elapsedSeconds
        self.etaSeconds = etaSeconds
    }
}

/// A checkpoint file written completely (renamed into place).
public struct CheckpointRecord: Sendable, Equatable {
    public var step: Int
    public var path: String

    public init(step: Int, path: String) {
        self.step = step
        self.path = path
    }
}
