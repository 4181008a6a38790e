import Foundation
import Testing
import TxfCore
@testable import TxfDist

/// The collectives every `Communicator` must satisfy on a one-rank job: the identity.
/// Shared by the single-process communicator and MPI's singleton (no mpirun).
func checkOneRankCollectives(_ comm: any Communicator) throws {
    #expect(comm.rank == 0)
    #expect(comm.worldSize == 1)
    #expect(comm.localRankCount == 1)
    #expect(comm.isRoot)

    let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: 5)  // [5]
    defer { buffer.deallocate() }
    for i in 0..<5 { buffer[i] = Float(i) - 1.5 }
    comm.allReduceSum(buffer)
    #expect(Array(buffer) == [-1.5, -0.5, 0.5, 1.5, 2.5])
    comm.allReduceSum(UnsafeMutableBufferPointer(start: nil, count: 0))

    var doubles = [0.25, -3]
    comm.allReduceSum(&doubles)
    #expect(doubles == [0.25, -3])
    var counters: [Int64] = [1 << 50, -7]
    comm.allReduceSum(&counters)
    #expect(counters == [1 << 50, -7])
    #expect(comm.allReduceSum(4.5) == 4.5)
    #expect(comm.allReduceSum(Int64(-9)) == -9)

    var bytes: [UInt8] = [9, 8, 7]
    comm.broadcast(&bytes, root: 0)
    #expect(bytes == [9, 8, 7])
    var text = "héllo"
    comm.broadcast(&text, root: 0)
    #expect(text == "héllo")
    #expect(comm.allGather([1, 2, 3]) == [[1, 2, 3]])
    #expect(comm.allGather([]) == [[]])
    comm.barrier()

    try comm.agree("config", "{\"lr\": 0.001}")
    try comm.agree("weights", bytes: [1, 2, 3])
    try comm.agree("pair", encoding: ["a": 1, "b": 2])
    #expect(try comm.together { 6 * 7 } == 42)
    #expect(throws: CollectiveError("x.h5: no such file")) { try comm.together { throw TxfError("x.h5: no such file") } }
}

@Suite struct SingleProcessCommunicatorTests {
    @Test func collectivesAreTheIdentity() throws {
        try checkOneRankCollectives(SingleProcessCommunicator())
    }

    @Test func sharedFailuresPrintOnceAndOwnFailuresAbortTheJob() {
        let shared = CollectiveError("ranks disagree on config: …")
        #expect(Job.ending(for: shared, name: "txf-train", rank: 0, worldSize: 4)
                == .exit(line: "txf-train: ranks disagree on config: …"))
        #expect(Job.ending(for: shared, name: "txf-train", rank: 3, worldSize: 4) == .exit(line: nil))
        let own = TxfError("data/x.h5: no such file")
        #expect(Job.ending(for: own, name: "txf", rank: 2, worldSize: 4) == .abort(message: "data/x.h5: no such file"))
        #expect(Job.ending(for: own, name: "txf", rank: 0, worldSize: 1) == .exit(line: "Error: data/x.h5: no such file"))
    }

    @Test func defaultCommunicatorUsesMPIOnlyUnderMPIRun() {
        #expect(!MPIRuntime.wantsMPI(environment: ["PATH": "/usr/bin"], initialized: false))
        #expect(MPIRuntime.wantsMPI(environment: ["OMPI_COMM_WORLD_SIZE": "4"], initialized: false))
        #expect(MPIRuntime.wantsMPI(environment: ["PMIX_RANK": "0"], initialized: false))
        #expect(MPIRuntime.wantsMPI(environment: ["TXF_MPI": "1"], initialized: false))
        #expect(MPIRuntime.wantsMPI(environment: [:], initialized: true))
    }
}

/// MPI's singleton mode (rank 0 of 1, no mpirun), run in a child process: MPI is never
/// initialised inside the test process, where Open MPI's singleton start-up (it forks an
/// `orted`) was seen to stall Foundation's reaping of other tests' child processes.
@Suite(.enabled(if: Job.mpirunAvailable, "Open MPI not installed"))
struct MPISingletonTests {
    @Test func singletonWithoutMPIRunRunsEveryCollective() throws {
        let job = try Job.run("txf-mpi-selftest", ranks: nil, ["all"])
        #expect(job.status == 0, "stderr: \(job.stderr)")
        #expect(job.lines == MultiRankTests.expectedLines(worldSize: 1), "stdout:\n\(job.stdout)")
    }

    @Test func singletonAbortExitsNonZeroWithOneLine() throws {
        let job = try Job.run("txf-mpi-selftest", ranks: nil, ["abort-on-rank", "0"], timeout: 30)
        #expect(job.status != 0)
        #expect(job.stderrCount("txf: scenario abort on rank 0") == 1, "stderr:\n\(job.stderr)")
    }
}
