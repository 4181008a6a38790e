import Foundation

/// What a rank is doing, named in a stall's message, and how long its collectives may wait
/// there: `deadlineScale` × the stall timeout.
///
/// Phases that legitimately keep the other ranks waiting get a wider deadline: start-up
/// (files and models loaded rank by rank, the sgemm peak measured), the first step (buffers
/// and pages touched for the first time), evaluation (ranks finish their shards at different
/// times) and checkpoints (rank 0 writes while the others wait at the next collective).
public struct Phase: Sendable, Equatable {
    /// How the phase reads in a message: "training step", "checkpoint".
    public let name: String
    /// Multiple of the stall timeout a collective in this phase may wait.
    public let deadlineScale: Double

    public init(_ name: String, deadlineScale: Double) {
        self.name = name
        self.deadlineScale = deadlineScale
    }

    public static let startUp = Phase("start-up", deadlineScale: 10)
    public static let firstStep = Phase("first step", deadlineScale: 5)
    public static let training = Phase("training step", deadlineScale: 1)
    public static let evaluation = Phase("evaluation", deadlineScale: 10)
    public static let checkpoint = Phase("checkpoint", deadlineScale: 10)
}

/// A rank's deadline for its collectives and what it is doing, for the watchdog of
/// `MPICommunicator` (docs/ARCHITECTURE.md, "Stalls and failures across ranks").
///
/// A collective that waits longer than `deadline` for the other ranks ends the job with one
/// line naming the ranks that did not answer, and exit status `exitStatus`. The first
/// collective after `enter(_:step:)` keeps the previous phase's deadline when that was wider:
/// a rank that leaves a checkpoint or an evaluation goes on to its next step, but the rank
/// still writing keeps it waiting at that step's first collective.
///
/// Set from the thread that calls the collectives (the same thread, in the same order, on
/// every rank).
public final class StallWatch: @unchecked Sendable {
    /// `--stall-timeout` when not given: five minutes.
    public static let defaultTimeout: Double = 300
    /// Exit status of a job ended by the watchdog (a stall or a lost peer; EX_TEMPFAIL).
    public static let exitStatus: Int32 = 75

    /// Seconds a collective of a phase of scale 1 may wait; 0 waits forever.
    public var timeout: Double = StallWatch.defaultTimeout
    public private(set) var phase: Phase = .startUp
    /// The optimizer step, where there is one.
    public private(set) var step: Int?
    /// Collectives this rank has begun, the one running included: the same count on every
    /// rank at the same collective.
    public private(set) var collectiveCount = 0
    /// The wider scale of the phase before, kept until a collective completes.
    private var carriedScale: Double = 0

    init() {}

    /// Marks the start of `phase` (at optimizer step `step`, if any) on this rank.
    public func enter(_ phase: Phase, step: Int? = nil) {
        carriedScale = max(carriedScale, self.phase.deadlineScale)
        self.phase = phase
        self.step = step
    }

    /// Seconds the running collective may wait; 0 for no deadline.
    public var deadline: Double { timeout * max(phase.deadlineScale, carriedScale) }

    /// Where this rank stands, for messages: "step 17, training step".
    public var activity: String { step.map { "step \($0), \(phase.name)" } ?? phase.name }

    func begin() { collectiveCount += 1 }

    func completed() { carriedScale = 0 }
}
