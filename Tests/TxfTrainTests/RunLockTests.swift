import Foundation
import Testing
import TxfCore
@testable import TxfTrain

/// The lock on `--out`: one run at a time per directory, the refusal naming the holder, a dead
/// run's lock file taken over.
struct RunLockTests {
    @Test func aSecondLockIsRefusedNamingTheHolderThenTakenOnceReleased() throws {
        let directory = RunDirectory(path: TrainFixture.runDirectory("lock"))
        var first: RunLock? = try RunLock(directory: directory)
        let refusal = message { _ = try RunLock(directory: directory) }
        #expect(refusal?.contains("\(directory.path) is in use by another run (PID \(getpid()) on host \(RunLock.hostName), started ") == true,
                "\(refusal ?? "no error")")
        #expect(refusal?.contains("lock file \(directory.path)/.lock") == true)
        _ = first
        first = nil  // closing the descriptor drops the flock, as a process's death does
        _ = try RunLock(directory: directory)
    }
}

/// Two real jobs on one `--out`: while the first trains, a second (fresh or `--resume auto`) is
/// refused on every rank before it writes anything; after the first is killed, its lock file is
/// taken over and the run resumes.
@Suite(.serialized, .enabled(if: Job.mpirunAvailable, "mpirun not on PATH; install openmpi-bin"))
struct RunLockJobTests {
    let fixture = TrainFixture.paths

    func flags(out: String) -> [String] {
        ["--train", fixture.train, "--out", out] + TrainFixture.modelFlags
            + ["--global-batch", "32", "--max-steps", "400", "--seed", "5", "--log-every", "1", "--save-every", "2"]
    }

    @Test func aSecondRunOnTheSameOutIsRefusedNamingTheHolder() throws {
        let out = TrainFixture.runDirectory("shared")
        var second: [Job] = [], holder: pid_t = 0
        let first = try Job.train(ranks: 2, flags(out: out), timeout: 120, killWhen: RunProcesses.throttled {
            guard second.isEmpty, RunProcesses.loggedStep(out: out) >= 3, let pid = RunProcesses.rank(0, out: out) else { return !second.isEmpty }
            holder = pid
            let metrics = try? Data(contentsOf: URL(fileURLWithPath: out + "/metrics.jsonl"))
            for extra in [[], ["--resume", "auto"]] {
                second.append((try? Job.train(ranks: 2, flags(out: out) + extra, timeout: 60))!)
            }
            // The refused runs wrote nothing: the first run's log only grew.
            let now = (try? Data(contentsOf: URL(fileURLWithPath: out + "/metrics.jsonl"))) ?? Data()
            #expect(metrics.map { now.starts(with: $0) } ?? false)
            return true  // then SIGKILL the first, leaving its lock file behind
        })
        #expect(first.killed, "the first run ended before the second started: \(first.stderr)")
        #expect(second.count == 2)
        for job in second {
            #expect(job.status == 1 && !job.timedOut, "status \(job.status): \(job.stderr)")
            #expect(job.stderrCount("txf-train: rank 0: \(out) is in use by another run (PID \(holder) on host ") == 1, "stderr: \(job.stderr)")
            #expect(job.stderr.contains("lock file \(out)/.lock"))
        }
        // The killed run's lock file remains, naming a dead PID; no process holds the flock.
        #expect(((try? String(contentsOfFile: out + "/.lock", encoding: .utf8)) ?? "").hasPrefix("PID \(holder) "))
        let before = RunProcesses.loggedStep(out: out)
        let resumed = try Job.train(ranks: 2, flags(out: out) + ["--resume", "auto"], timeout: 120, killWhen: RunProcesses.throttled {
            let lock = (try? String(contentsOfFile: out + "/.lock", encoding: .utf8)) ?? ""
            return !lock.hasPrefix("PID \(holder) ") && RunProcesses.loggedStep(out: out) > before
        })
        #expect(resumed.stdout.contains("resuming from "), "stderr: \(resumed.stderr)")
        #expect(!resumed.stderr.contains("in use"))
    }
}
