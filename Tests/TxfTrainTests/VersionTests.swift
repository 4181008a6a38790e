import Foundation
import Testing
import TxfCore

/// `--version` of both executables prints txf's one version and exits 0.
@Suite struct VersionTests {
    @Test(arguments: ["txf", "txf-train"])
    func versionFlagPrintsTheVersion(_ program: String) throws {
        let job = try Job.run(program, ranks: nil, ["--version"], timeout: 30)
        #expect(job.status == 0, "\(job.output)")
        #expect(job.stdout == TxfVersion.number + "\n" && job.stderr.isEmpty, "\(job.output)")
        #expect(TxfVersion.number.split(separator: ".").count == 3)
    }
}
