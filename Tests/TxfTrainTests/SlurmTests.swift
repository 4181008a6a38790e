import Foundation
import TxfTestSupport
import Testing
import TxfCore
@testable import TxfTrain

/// launch/slurm/txf-train.sbatch under a real Slurm: Debian's slurmctld, slurmd and munged on
/// this host (launch/slurm/localcluster.sh), the tiny fixture model on 2 tasks of the one node.
/// A job trains to its end; a job signalled as `--signal=B:TERM` would signal it checkpoints,
/// requeues itself and its second start resumes to the losses of an uninterrupted run.
@Suite(.serialized, .enabled(if: LocalSlurm.available, LocalSlurm.unavailableReason))
struct SlurmTests {
    let fixture = TrainFixture.paths
    static let steps = 20

    /// The tiny model's config, every key the sbatch script does not pass itself.
    func writeConfig(_ path: String) throws {
        let config = """
        {"layers": 2, "hidden": 16, "heads": 2, "ffn": 32, "max-length": 16, "global-batch": 32,
         "max-steps": \(SlurmTests.steps), "lr": 0.003, "warmup-steps": 2, "dropout": 0.1, "seed": 5,
         "log-every": 1, "keep": 3}
        """
        try config.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// Submits the sbatch script for a run into `out` on 1 node × 2 tasks × 1 CPU; the job id.
    func submit(_ cluster: LocalSlurm, out: String) throws -> String {
        let directory = (out as NSString).deletingLastPathComponent
        let config = directory + "/tiny.json"
        try writeConfig(config)
        let program = try #require(TestPaths.built("txf-train"))
        let variables = [
            "TXF_ROOT": TestPaths.repositoryRoot.path, "TXF_PROGRAM": program.path, "TXF_CONFIG": config,
            "TXF_TRAIN_H5": fixture.train, "TXF_EVAL_H5": "", "TXF_INIT_H5": "", "TXF_OUT": out,
            "TXF_SAVE_EVERY": "10",
        ]
        let job = try cluster.run(["sbatch", "--parsable", "--nodes=1", "--ntasks-per-node=2", "--cpus-per-task=1",
                                   "--output=\(out).log", TestPaths.repositoryRoot.path + "/launch/slurm/txf-train.sbatch"],
                                  environment: variables)
        #expect(job.status == 0, "sbatch: \(job.output)")
        return job.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func batchJobTrainsToTheEnd() throws {
        guard let cluster = try LocalSlurm.up() else { return }
        defer { cluster.down() }
        let out = TrainFixture.runDirectory("slurm")
        let id = try submit(cluster, out: out)
        let end = try cluster.waitForEnd(id)
        let log = (try? String(contentsOfFile: out + ".log", encoding: .utf8)) ?? ""
        #expect(end["JobState"] == "COMPLETED" && end["ExitCode"] == "0:0" && end["Restarts"] == "0",
                "\(end)\n\(log)\n\(cluster.logs)")
        #expect(log.contains("txf-train.sbatch: job \(id) (restart 0), 2 ranks on 1 nodes"), "\(log)")
        let blas = log.split(separator: "\n").first { $0.hasPrefix("blas: ") }.map(String.init) ?? ""
        #expect(blas.contains("1 thread per rank (") && blas.contains("2 ranks on this node") && blas.contains("set by TXF_BLAS_THREADS"), "\(log)")
        #expect(log.contains("starting at step 0/\(SlurmTests.steps)"))
        #expect(log.contains("saved \(out)/final.h5 (step \(SlurmTests.steps))"), "\(log)")
        #expect(trainLosses(out + "/metrics.jsonl").map(\.step) == Array(1 ... SlurmTests.steps))
        #expect(RunDirectory(path: out).stepCheckpoints().map(\.step) == [10])
        _ = try checkpointState(out + "/final.h5")
    }

    // `scancel --signal=TERM --batch` is what `--signal=B:TERM@120` sends before the time
    // limit: the script relays it, the ranks checkpoint and exit 143, the script requeues
    // the job (still RUNNING), and the second start resumes from the checkpoint.
    @Test func signalledJobCheckpointsRequeuesAndResumesToTheSameLosses() throws {
        guard let cluster = try LocalSlurm.up() else { return }
        defer { cluster.down() }
        let straight = TrainFixture.runDirectory("straight")
        try writeConfig(straight + ".json")
        let done = try Job.train(ranks: 2, ["--config", straight + ".json", "--train", fixture.train,
                                            "--out", straight, "--save-every", "10"])
        #expect(done.status == 0, "\(done.stderr)")

        let out = TrainFixture.runDirectory("requeued")
        let id = try submit(cluster, out: out)
        let deadline = Date().addingTimeInterval(60)
        while RunProcesses.loggedStep(out: out) < 3 && Date() < deadline { usleep(20_000) }
        let signal = try cluster.run(["scancel", "--signal=TERM", "--batch", id])
        #expect(signal.status == 0, "scancel: \(signal.output)")
        let end = try cluster.waitForEnd(id)
        let log = (try? String(contentsOfFile: out + ".log", encoding: .utf8)) ?? ""
        #expect(end["JobState"] == "COMPLETED" && end["ExitCode"] == "0:0" && end["Restarts"] == "1",
                "\(end)\n\(log)\n\(cluster.logs)")

        let stop = try #require(log.split(separator: "\n").first { $0.hasPrefix("txf-train: stopped by SIGTERM after step ") },
                                "\(log)")
        let step = try #require(Int(stop.split(separator: " ")[6].dropLast()), "\(stop)")
        #expect(step >= 3 && step < SlurmTests.steps)
        #expect(log.contains("requeueing job \(id) to resume"), "\(log)")
        #expect(log.contains("txf-train.sbatch: job \(id) (restart 1)"), "\(log)")
        #expect(log.contains("resuming from \(RunDirectory(path: out).stepPath(step)) at step \(step)/\(SlurmTests.steps)"), "\(log)")
        #expect(trainLosses(straight + "/metrics.jsonl").map(\.loss) == trainLosses(out + "/metrics.jsonl").map(\.loss))
        #expect(try checkpointState(straight + "/final.h5") == checkpointState(out + "/final.h5"))
    }
}

/// A one-machine Slurm cluster in a temporary state directory, up for one test.
struct LocalSlurm {
    static let tools = ["munged", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol", "scancel"]

    static var unavailableReason: Comment {
        "needs root, mpirun and Slurm (launch/install-deps.sh installs slurmctld slurmd slurm-client munge)"
    }

    static let available: Bool = getuid() == 0 && Job.mpirunAvailable
        && tools.allSatisfy { findExecutable($0) != nil || FileManager.default.isExecutableFile(atPath: "/usr/sbin/" + $0) }

    static let script = TestPaths.repositoryRoot.path + "/launch/slurm/localcluster.sh"

    /// The state directory: slurm.conf, the daemons' pid and log files.
    let directory: String

    /// Starts the daemons; nil, after a printed skip line, where they do not come up here
    /// (a container that forbids what slurmd needs).
    static func up() throws -> LocalSlurm? {
        let cluster = LocalSlurm(directory: TestScratch.path("slurm"))
        let job = try cluster.run([script, "up", cluster.directory], timeout: 60)
        guard job.status == 0 else {
            print("SlurmTests: skipped, the local Slurm did not start (status \(job.status)): \(job.stderr)\n\(cluster.logs)")
            cluster.down()
            return nil
        }
        return cluster
    }

    /// Stops the daemons and removes the state directory.
    func down() {
        _ = try? run([LocalSlurm.script, "down", directory], timeout: 30)
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The daemons' log files, for failure messages.
    var logs: String {
        ["slurmctld.log", "slurmd.log"].map { name in
            "== \(name)\n" + ((try? String(contentsOfFile: directory + "/" + name, encoding: .utf8)) ?? "")
        }.joined(separator: "\n")
    }

    /// Runs a Slurm command (or the cluster script) against this cluster, with signals
    /// unblocked: the test thread blocks SIGTERM, and the daemons started from here, and the
    /// batch shells they start, would inherit that mask and never see their SIGTERM.
    func run(_ arguments: [String], environment: [String: String] = [:], timeout: Double = 30) throws -> Job {
        let unblock = "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execvp(sys.argv[1], sys.argv[1:])"
        var variables = environment
        variables["SLURM_CONF"] = directory + "/slurm.conf"
        variables["PATH"] = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin") + ":/usr/sbin:/sbin"
        return try Job.run(executable: URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", unblock] + arguments,
                           environment: variables, timeout: timeout)
    }

    /// `scontrol show job` as field → value ("JobState", "ExitCode", "Restarts", "Reason").
    func job(_ id: String) throws -> [String: String] {
        let shown = try run(["scontrol", "-o", "show", "job", id])
        var fields: [String: String] = [:]
        for pair in shown.stdout.split(whereSeparator: \.isWhitespace) {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
        }
        return fields
    }

    /// Waits until job `id` has ended (its last start, after any requeue) and returns its
    /// fields. A requeued job waits about two minutes before Slurm starts it again (its begin
    /// time); this lets it start at once.
    func waitForEnd(_ id: String, timeout: Double = 90) throws -> [String: String] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let fields = try job(id)
            switch (fields["JobState"], fields["Reason"]) {
            case ("PENDING", _), ("RUNNING", _), ("CONFIGURING", _), ("COMPLETING", _), ("REQUEUED", _), (nil, _): break
            default: return fields
            }
            usleep(200_000)
        }
        _ = try? run(["scancel", id])
        throw JobError("Slurm job \(id) did not end within \(Int(timeout)) s: \(try job(id))")
    }
}
