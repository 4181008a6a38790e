import Foundation
import TxfCore
import TxfDist

// Multi-rank scenarios for Tests/TxfDistTests, run as `mpirun -n N txf-mpi-selftest <scenario>`.
// Each rank checks its own results and prints `<scenario> rank R: ...` lines that the tests
// compare with hand-computed formulas; any failure ends the job the way every txf executable
// ends (`Job.run`).

let usage = """
    usage: txf-mpi-selftest [--stall-timeout SECONDS] <scenario> [argument]
      all                 sums, shards, broadcast, agree and local-ranks in one job
      sums                blocking all-reduce of Float, Double and Int64 buffers
      shards              reduce-scatter and all-gather over a ShardLayout with uneven pieces
      broadcast           bytes and a string from the last rank
      agree               agreement on equal values succeeds
      local-ranks         prints ranks on this node
      agree-mismatch      the last rank differs: every rank catches, then fails together
      abort-on-rank R     rank R aborts while the others wait in a barrier
      throw-on-rank R     rank R throws while the others wait
      crash-on-rank R     rank R traps (fatalError) while the others wait
      bench [MB]          all-reduce timings for a buffer of MB megabytes (default 32)
      sum-loop DIR        sums for 60 s in training steps; each rank writes DIR/rank-R.pid
                          first, so a test can stop or kill one
    """

var arguments = Array(CommandLine.arguments.dropFirst())
var stallTimeout: Double?
if arguments.first == "--stall-timeout", arguments.count > 1 {
    stallTimeout = Double(arguments[1])
    arguments.removeFirst(2)
}
guard let scenario = arguments.first else {
    FileHandle.standardError.write(Data((usage + "\n").utf8))
    exit(2)
}
let argument = arguments.dropFirst().first
let comm = MPICommunicator.world
let scenarios = Scenarios(comm: comm)
if let stallTimeout { comm.stallWatch.timeout = stallTimeout }
comm.stallWatch.enter(.training)

// The prefix of a shared failure's line is the job's, "txf", as in every rank's abort line.
Job.run("txf") {
    switch scenario {
    case "all":
        try scenarios.sums()
        try scenarios.shards()
        try scenarios.broadcast()
        try scenarios.agree()
        scenarios.localRanks()
    case "sums": try scenarios.sums()
    case "shards": try scenarios.shards()
    case "broadcast": try scenarios.broadcast()
    case "agree": try scenarios.agree()
    case "local-ranks": scenarios.localRanks()
    case "agree-mismatch": try scenarios.agreeMismatch()
    case "abort-on-rank": try scenarios.abortOnRank(rankArgument(argument))
    case "throw-on-rank": try scenarios.throwOnRank(rankArgument(argument))
    case "crash-on-rank": scenarios.crashOnRank(try rankArgument(argument))
    case "bench": scenarios.bench(megabytes: argument.flatMap { Int($0) } ?? 32)
    case "sum-loop": try scenarios.sumLoop(directory: argument ?? ".")
    default: throw TxfError("unknown scenario '\(scenario)'\n\(usage)")
    }
    comm.barrier()
    print("done rank \(comm.rank)")
}

func rankArgument(_ text: String?) throws -> Int {
    guard let text, let rank = Int(text), (0..<comm.worldSize).contains(rank) else {
        throw TxfError("expected a rank in 0..<\(comm.worldSize) after the scenario, got \(text ?? "nothing")")
    }
    return rank
}
