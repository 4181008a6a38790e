import Testing
@testable import TxfDist

/// The watchdog's pure parts: deadlines by phase, status records, the stall line, and the
/// message for ranks running different programs.
@Suite struct StallMessageTests {
    @Test func deadlineScalesWithThePhaseAndKeepsAWiderOneForOneCollective() {
        let watch = StallWatch()
        watch.timeout = 2
        #expect(watch.deadline == 20)  // start-up
        watch.enter(.training, step: 5)
        #expect(watch.deadline == 20, "the first collective after start-up keeps its deadline")
        watch.begin(); watch.completed()
        #expect(watch.deadline == 2)
        watch.enter(.checkpoint, step: 6)
        watch.enter(.training, step: 6)
        #expect(watch.deadline == 20, "rank 0 may still be writing the checkpoint")
        #expect(watch.activity == "step 6, training step")
        watch.timeout = 0
        #expect(watch.deadline == 0, "0 waits forever")
    }

    @Test func recordsSurviveTheirEncoding() {
        let record = StallRecord(rank: 3, collective: 57, waitingIn: "sum of 1 doubles", activity: "step 17, training step", waited: 3.25)
        #expect(StallRecord(decoding: record.encoded) == record)
        #expect(StallRecord(decoding: "garbage") == nil)
    }

    @Test func theLineNamesTheMissingRankAndItsHost() {
        func record(_ rank: Int, _ collective: Int) -> StallRecord {
            StallRecord(rank: rank, collective: collective, waitingIn: "sum of 1 doubles", activity: "step 17, training step", waited: 3)
        }
        let hosts = ["a", "a", "b", "b"]
        let line = StallRecord.message(answers: [0: record(0, 57), 1: record(1, 57), 3: record(3, 58)],
                                       worldSize: 4, hosts: hosts, timeout: 3)
        #expect(line == "txf: stall: rank 2 (host b) stopped answering; ranks 0, 1 waited 3 s in collective #57 (sum of 1 doubles) at step 17, training step; rank 3 waited 3 s in collective #58 (sum of 1 doubles) at step 17, training step (--stall-timeout 3)")
        let none = StallRecord.message(answers: [0: record(0, 5), 1: record(1, 7)], worldSize: 2, hosts: hosts, timeout: 2.5)
        #expect(none.hasPrefix("txf: stall: every rank is alive but none can finish: rank 0 waited 3 s in collective #5"))
        #expect(none.hasSuffix("(--stall-timeout 2.5)"))
    }

    @Test func mixedProgramsAreGroupedByProgram() {
        #expect(Job.programMismatchMessage(["txf-train", "txf evaluate", "txf evaluate"])
                == "ranks run different programs: rank 0 runs txf-train, ranks 1, 2 run txf evaluate; every rank of a job must run the same txf program")
    }
}
