import Foundation
import Synchronization

/// The stop signal the handler saw first (SIGTERM or SIGINT); 0 while none has come. The
/// handler's only work is one lock-free atomic exchange (and `_exit` on a repeat), both
/// async-signal-safe; the loop reads it between steps.
private let pendingStop = Atomic<Int32>(0)

/// SIGTERM (what Slurm sends at preemption and before the time limit, and what mpirun sends its
/// ranks when it is itself signalled) and SIGINT (Ctrl-C) ask the run to stop cleanly: the loop
/// finishes the step in progress, writes a checkpoint and exits `128 + signal` (143, 130). A
/// second signal ends the process at once with that status; a checkpoint being written then is
/// left as its `.tmp` file, never taken for a checkpoint.
///
/// SIGUSR1 and SIGUSR2 are SIGTERM and SIGINT relayed by `launch/txf-mpirun`: mpirun passes
/// those two on to every rank and keeps the job running, whereas on its own SIGTERM it kills
/// the ranks a second later, too soon for a checkpoint.
enum StopSignals {
    static let handled: [Int32] = [SIGTERM, SIGINT, SIGUSR1, SIGUSR2]

    /// Installs the handlers for the rest of the process. They stay installed through the exit
    /// that follows a stop, so mpirun's SIGTERM after another rank's exit ends this one at once.
    static func install() {
        for number in handled {
            signal(number) { number in
                let stop = number == SIGUSR1 ? SIGTERM : number == SIGUSR2 ? SIGINT : number
                if pendingStop.compareExchange(expected: 0, desired: stop, ordering: .relaxed).exchanged { return }
                _exit(128 + stop)
            }
        }
    }

    /// The signal received so far on this rank, 0 when none.
    static var received: Int32 { pendingStop.load(ordering: .relaxed) }

    /// The name a user reads ("SIGTERM").
    static func name(_ number: Int32) -> String {
        switch number {
        case SIGTERM: "SIGTERM"
        case SIGINT: "SIGINT"
        default: "signal \(number)"
        }
    }
}

/// How a run that was asked to stop ended: after `step` steps, with the checkpoint at
/// `checkpoint`; the process should exit with `exitStatus` on every rank.
public struct TrainingStop: Sendable, Equatable {
    /// SIGTERM or SIGINT.
    public let signal: Int32
    public let step: Int
    public let checkpoint: String

    /// 128 + the signal: 143 for SIGTERM, 130 for SIGINT (the shell's convention).
    public var exitStatus: Int32 { 128 + signal }

    /// The line rank 0 prints, after the command's name.
    public var message: String {
        "stopped by \(StopSignals.name(signal)) after step \(step); checkpoint \(checkpoint); resume with --resume auto"
    }
}
