import Foundation
import Testing
import TxfFuzzEntries
import TxfTestSupport

/// The fuzz corpus as a regression suite: every seed in Fuzz/corpus/<target>/ goes through the
/// target's entry point in this process, and every input in Fuzz/crashes-found/<target>/ (what
/// a fuzzing run once crashed on) in a `txf-fuzz-replay` child, which must exit 0 and not die
/// of a signal. Parsers answer bad input by throwing, which the entry points drop, so the only
/// way to fail is a trap, a signal or a hang.
@Suite("fuzz corpus replay")
struct FuzzCorpusReplayTests {
    static let fuzzRoot = TestPaths.repositoryRoot.appendingPathComponent("Fuzz")

    /// The files of Fuzz/<folder>/<target>/, sorted; none when the folder is absent.
    static func inputs(_ folder: String, _ target: FuzzTarget) -> [URL] {
        let directory = fuzzRoot.appendingPathComponent(folder).appendingPathComponent(target.rawValue)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { directory.appendingPathComponent($0) }
    }

    @Test("seed corpus parses without a trap", arguments: FuzzTarget.allCases)
    func seeds(_ target: FuzzTarget) throws {
        let files = Self.inputs("corpus", target)
        #expect(!files.isEmpty, "no seeds in Fuzz/corpus/\(target.rawValue)")
        for file in files {
            target.run([UInt8](try Data(contentsOf: file)))
        }
        ScratchFile.remove(for: target)
    }

    @Test("inputs that once crashed now end normally", arguments: FuzzTarget.allCases)
    func crashesFound(_ target: FuzzTarget) throws {
        // One child per input, so each failure names its file. A signal death shows as its
        // number in the status (11: SIGSEGV).
        for file in Self.inputs("crashes-found", target) {
            let job = try Job.run("txf-fuzz-replay", ranks: nil, [target.rawValue, file.path], timeout: 60)
            #expect(!job.killed && !job.timedOut && job.status == 0,
                    "txf-fuzz-replay \(target.rawValue) \(file.lastPathComponent) ended with status \(job.status): \(job.stderr.suffix(2000))")
        }
    }
}
