// The shared test helpers (assertClose, Job, Python, TestPaths), for every file of this target.
@_exported import TxfTestSupport

extension Job {
    /// txf-train on `ranks` ranks, run from the fixture's directory; see `Job.run(executable:…)`.
    static func train(ranks: Int, _ arguments: [String], timeout: Double = 90,
                      killWhen: (() -> Bool)? = nil) throws -> Job {
        try run("txf-train", ranks: ranks, arguments, directory: TrainFixture.paths.directory,
                timeout: timeout, killWhen: killWhen)
    }
}
