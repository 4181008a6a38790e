import CMPI
import Foundation
import TxfCore

/// How a rank waits for its non-blocking MPI calls, and what it does when the wait passes the
/// deadline (`StallWatch`).
///
/// The wait polls MPI_Testall: in a tight loop for the first `spinSeconds` (what a blocking
/// MPI call does all along, so a step in which nothing is wrong runs as fast as before), then
/// yielding the core, then sleeping between polls for a twentieth of the time waited so far
/// (at most `longestSleep`), so a rank waiting minutes for a stopped peer uses ~1 % of a core
/// and a late peer costs at most 5 % more than its lateness.
///
/// A thread that waits beside this rank's computation (the gradient reduction behind backward)
/// skips the spinning and yielding: it sleeps from the first poll, at least `shortestSleep`,
/// so it takes a few per cent of a core from the BLAS threads instead of a whole one.
extension MPICommunicator {
    static let spinSeconds = 1e-3
    static let yieldSeconds = 10e-3
    static let shortestSleep = 50e-6
    static let longestSleep = 5e-3
    /// How long, after the deadline, a rank waits for the live ranks' answers.
    static let graceSeconds = 2.0
    /// Tag of the watchdog's "I am alive, waiting in …" records on `watchComm`.
    static let statusTag: Int32 = 75

    /// Waits until `requests` [count] complete, or ends the job as stalled once the deadline
    /// passes or another rank reports a stall. `what` names the collective in the message;
    /// `spins` false sleeps between polls from the start.
    func wait(_ requests: UnsafeMutablePointer<MPI_Request?>, count: Int32, spins: Bool = true,
              _ what: @autoclosure () -> String) {
        var done: Int32 = 0
        check(MPI_Testall(count, requests, &done, txf_mpi_statuses_ignore()), "MPI_Testall (\(what()))")
        if done != 0 { return }
        let start = monotonicSeconds()
        let deadline = stallWatch.deadline
        while true {
            check(MPI_Testall(count, requests, &done, txf_mpi_statuses_ignore()), "MPI_Testall (\(what()))")
            if done != 0 { return }
            let waited = monotonicSeconds() - start
            if spins && waited < Self.spinSeconds { continue }
            if spins && waited < Self.yieldSeconds { sched_yield(); continue }
            if deadline > 0 && waited > deadline || peerReportedStall() {
                endStalled(waiting: what(), waited: waited)
            }
            usleep(UInt32(max(Self.shortestSleep, min(Self.longestSleep, waited / 20)) * 1e6))
        }
    }

    /// Whether another rank's status record is waiting to be read (it has passed a deadline).
    private func peerReportedStall() -> Bool {
        var flag: Int32 = 0
        var status = MPI_Status()
        MPI_Iprobe(txf_mpi_any_source(), Self.statusTag, watchComm, &flag, &status)
        return flag != 0
    }

    /// Ends the job for a stall: every live rank sends its status record to every other rank
    /// and collects theirs for `graceSeconds`; ranks that did not answer are the culprits. The
    /// lowest live rank prints the one line and aborts the job with `StallWatch.exitStatus`;
    /// the others abort only if still alive well after it should have (it may be dying too).
    func endStalled(waiting what: String, waited: Double) -> Never {
        let mine = StallRecord(rank: rank, collective: stallWatch.collectiveCount, waitingIn: what,
                               activity: stallWatch.activity, waited: waited)
        let bytes = Array(mine.encoded.utf8)
        // Leaked on purpose: the sends may still be in flight when MPI_Abort ends the process.
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: max(bytes.count, 1))
        buffer.initialize(from: bytes, count: bytes.count)
        for peer in 0 ..< worldSize where peer != rank {
            var request: MPI_Request?
            MPI_Isend(buffer, Int32(bytes.count), txf_mpi_byte(), Int32(peer), Self.statusTag, watchComm, &request)
            MPI_Request_free(&request)
        }
        var answers = [rank: mine]
        let until = monotonicSeconds() + Self.graceSeconds
        while answers.count < worldSize && monotonicSeconds() < until {
            var flag: Int32 = 0
            var status = MPI_Status()
            MPI_Iprobe(txf_mpi_any_source(), Self.statusTag, watchComm, &flag, &status)
            guard flag != 0 else { usleep(1_000); continue }
            var length: Int32 = 0
            MPI_Get_count(&status, txf_mpi_byte(), &length)
            var received = [UInt8](repeating: 0, count: Int(length) + 1)
            MPI_Recv(&received, length, txf_mpi_byte(), status.MPI_SOURCE, Self.statusTag, watchComm, txf_mpi_status_ignore())
            if let record = StallRecord(decoding: String(decoding: received.prefix(Int(length)), as: UTF8.self)) {
                answers[record.rank] = record
            }
        }
        let line = StallRecord.message(answers: answers, worldSize: worldSize, hosts: hosts,
                                       timeout: stallWatch.timeout)
        // A rank that joins well into the others' grace period — a live waiting rank joins
        // within a poll — was stopped or busy while they waited for it (and is then continued
        // by Open MPI on its way to killing it): they name it and speak, it ends silently.
        let isStraggler = answers.values.contains { $0.sentAt < mine.sentAt - Self.graceSeconds / 2 }
        if !isStraggler && answers.keys.min() != rank {
            // Sleep the whole while, through the signals (mpirun's SIGTERM) that cut usleep short.
            let until = monotonicSeconds() + Self.graceSeconds + 3
            while monotonicSeconds() < until { usleep(100_000) }
        }
        abortLock.lock()  // never unlocked, as in `abort`
        MPIRuntime.skipFinalize = true
        if !isStraggler {
            writeStandardError(answers.keys.min() == rank ? line : "txf: rank \(rank): \(line.dropFirst(5))")
        }
        MPI_Abort(comm, StallWatch.exitStatus)
        exit(StallWatch.exitStatus)
    }
}

/// One live rank's answer in a stall: where it waits. Sent as one tab-separated line.
struct StallRecord: Equatable {
    var rank: Int
    var collective: Int
    var waitingIn: String
    var activity: String
    var waited: Double
    /// When the record was sent, in seconds since 1970 (wall clock, so comparable across hosts).
    var sentAt: Double

    var encoded: String { "\(rank)\t\(collective)\t\(waitingIn)\t\(activity)\t\(waited)\t\(sentAt)" }

    init(rank: Int, collective: Int, waitingIn: String, activity: String, waited: Double,
         sentAt: Double = Date().timeIntervalSince1970) {
        self.rank = rank
        self.collective = collective
        self.waitingIn = waitingIn
        self.activity = activity
        self.waited = waited
        self.sentAt = sentAt
    }

    init?(decoding text: String) {
        let fields = text.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 6, let rank = Int(fields[0]), let collective = Int(fields[1]),
              let waited = Double(fields[4]), let sentAt = Double(fields[5]) else { return nil }
        self.init(rank: rank, collective: collective, waitingIn: fields[2], activity: fields[3], waited: waited,
                  sentAt: sentAt)
    }

    /// The one line for a stall, from the live ranks' `answers` (keyed by rank):
    ///
    ///     txf: stall: rank 2 (host node-b) stopped answering; ranks 0, 1, 3 waited 3 s in
    ///     collective #57 (sum of 1 doubles) at step 17, training step (--stall-timeout 3)
    ///
    /// When every rank answered, no rank is missing but they wait in different collectives
    /// (the ranks run different code); the line lists where each waits.
    static func message(answers: [Int: StallRecord], worldSize: Int, hosts: [String], timeout: Double) -> String {
        let missing = (0 ..< worldSize).filter { answers[$0] == nil }
        let live = answers.values.sorted { $0.rank < $1.rank }
        let setting = "(--stall-timeout \(StallRecord.seconds(timeout)))"
        func ranks(_ list: [Int]) -> String {
            (list.count == 1 ? "rank " : "ranks ") + list.map(String.init).joined(separator: ", ")
        }
        func host(_ rank: Int) -> String { rank < hosts.count ? hosts[rank] : "?" }
        // Where the live ranks wait, grouped by collective, the group with most ranks first.
        var groups: [(where: StallRecord, ranks: [Int])] = []
        for record in live {
            if let index = groups.firstIndex(where: { $0.where.collective == record.collective && $0.where.waitingIn == record.waitingIn }) {
                groups[index].ranks.append(record.rank)
            } else {
                groups.append((record, [record.rank]))
            }
        }
        let places = groups.map { group in
            "\(ranks(group.ranks)) waited \(StallRecord.seconds(group.where.waited)) s in collective #\(group.where.collective) (\(group.where.waitingIn)) at \(group.where.activity)"
        }.joined(separator: "; ")
        guard !missing.isEmpty else {
            return "txf: stall: every rank is alive but none can finish: \(places) \(setting)"
        }
        let who = missing.map { "\($0) (host \(host($0)))" }.joined(separator: ", ")
        return "txf: stall: \(missing.count == 1 ? "rank" : "ranks") \(who) stopped answering; \(places) \(setting)"
    }

    /// Seconds as people write them: 3, 2.5, 300.
    static func seconds(_ value: Double) -> String {
        value == value.rounded() && value < 1e9 ? String(Int(value)) : String(format: "%.1f", value)
    }
}
