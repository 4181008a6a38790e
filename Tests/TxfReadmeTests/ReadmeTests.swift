import Foundation
import Testing
import TxfTestSupport

/// The README is tested: its ```sh blocks run, in order, in one bash session, on the project's
/// sample (docs/ARCHITECTURE.md, "The README is tested").
@Suite("README doc-test")
struct ReadmeTests {
    /// The Markdown files whose blocks run, in the order they run.
    static let files = ["README.md", "datasets/README.md"]
    /// Fewer running blocks than this means skip tags spread where they should not.
    static let minimumRunningBlocks = 16
    /// The programs whose subcommands and flags the blocks must name correctly.
    static let programs: Set<String> = ["txf", "txf-train"]

    static func blocks() throws -> [FencedBlock] {
        try files.flatMap { file in
            let text = try String(contentsOf: TestPaths.repositoryRoot.appendingPathComponent(file), encoding: .utf8)
            return try MarkdownBlocks.parse(text, file: file)
        }
    }

    @Test func blocksFollowTheConventions() throws {
        let blocks = try Self.blocks()
        for block in blocks {
            #expect(["sh", "text"].contains(block.language),
                    "\(block.location): a block is ```sh (run) or ```text (shown), not ```\(block.language)")
            if let reason = block.skipReason {
                #expect(!reason.isEmpty, "\(block.location): a skip tag needs a reason (the test that covers it, or why)")
                #expect(block.language == "sh", "\(block.location): only ```sh blocks run, so only they take a skip tag")
            }
            if block.language == "sh" {
                for (line, text) in block.commands {
                    #expect(!text.hasPrefix("$ "), "\(block.file):\(line): no `$ ` prompts in ```sh; output goes in a ```text block")
                }
            }
        }
        let running = blocks.filter(\.runs).count
        #expect(running >= Self.minimumRunningBlocks,
                "only \(running) blocks run (at least \(Self.minimumRunningBlocks) should): skip tags where they do not belong?")
    }

    /// Every txf / txf-train command in every ```sh block, skipped ones too, names a subcommand and
    /// flags its `--help` lists, and every launch/ path exists: a typo fails here even in a block
    /// CI cannot run.
    @Test(.enabled(if: TestPaths.built("txf") != nil && TestPaths.built("txf-train") != nil,
                   "needs the built txf and txf-train (swift build --build-tests)"))
    func commandsNameRealProgramsAndFlags() throws {
        var helps: [[String]: String] = [:]
        func help(_ program: String, _ arguments: [String]) throws -> String? {
            let key = [program] + arguments
            if let known = helps[key] { return known }
            let job = try Job.run(executable: TestPaths.built(program)!, arguments + ["--help"], timeout: 60)
            let text = job.status == 0 ? job.output : nil
            helps[key] = text ?? ""
            return text
        }
        for block in try Self.blocks() where block.language == "sh" {
            for (line, command) in block.commands {
                let words = Self.words(command)
                for (index, word) in words.enumerated() {
                    let path = String(word.hasPrefix("$(") ? word.dropFirst(2) : word[...]).trimmingCharacters(in: [")"])
                    if path.hasPrefix("launch/") {
                        #expect(FileManager.default.fileExists(atPath: TestPaths.repositoryRoot.appendingPathComponent(path).path),
                                "\(block.file):\(line): no file \(path)")
                    }
                    let program = (word as NSString).lastPathComponent
                    guard Self.programs.contains(program), !word.contains("=") else { continue }
                    var rest = Array(words[(index + 1)...])
                    var subcommand: [String] = []
                    if program == "txf", let first = rest.first, !first.hasPrefix("-") {
                        subcommand = [first]
                        rest.removeFirst()
                    }
                    guard let text = try help(program, subcommand) else {
                        Issue.record("\(block.file):\(line): `\(([program] + subcommand).joined(separator: " ")) --help` fails: no such subcommand?")
                        continue
                    }
                    for flag in rest.prefix(while: { !Self.shellOperators.contains($0) }) where flag.hasPrefix("--") {
                        let name = String(flag.prefix { $0 != "=" })
                        if !Self.lists(text, name) {
                            Issue.record("\(block.file):\(line): \(([program] + subcommand).joined(separator: " ")) --help does not list \(name)")
                        }
                    }
                }
            }
        }
    }

    @Test(.enabled(if: TestPaths.minilm != nil, Comment(rawValue: TestPaths.minilmMissing)),
          .enabled(if: Job.mpirunAvailable, "needs mpirun"),
          .enabled(if: TestPaths.built("txf") != nil && TestPaths.built("txf-train") != nil,
                   "needs the built txf and txf-train (swift build --build-tests)"))
    func readmeRunsAsWritten() throws {
        let script = ReadmeScript(blocks: try Self.blocks())
        let scratch = try ReadmeScratch.make()
        let scriptURL = FileManager.default.temporaryDirectory.appendingPathComponent("txf-readme-\(UUID().uuidString).sh")
        try script.text.write(to: scriptURL, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: scriptURL) }
        let products = TestPaths.built("txf")!.deletingLastPathComponent().path
        let path = products + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let job = try Job.run(executable: URL(fileURLWithPath: "/bin/bash"), [scriptURL.path],
                              environment: ["PATH": path], directory: scratch.directory.path, timeout: 900)
        let passed = job.status == 0 && job.stdout.contains(ReadmeScript.finished)
        if passed {
            scratch.remove()
            print("README doc-test: \(script.origins.compactMap { $0 }.count) lines ran in \(Int(job.seconds)) s")
            return
        }
        let failure = script.failure(in: job.stdout)
        let tail = job.stdout.split(separator: "\n", omittingEmptySubsequences: false).suffix(60).joined(separator: "\n")
        Issue.record("""
            README command failed (exit \(job.status)\(job.timedOut ? ", timed out" : "")) at \(failure ?? "an unknown line")
            scratch directory kept: \(scratch.directory.path)
            last lines of output:
            \(tail)
            """)
    }

    /// The words of a command: split at white space, a comment (from a word starting with #) left out.
    static func words(_ command: String) -> [String] {
        let words = command.split(whereSeparator: \.isWhitespace).map(String.init)
        return Array(words.prefix { !$0.hasPrefix("#") })
    }

    static let shellOperators: Set<String> = ["|", "||", "&&", ";", "&", ">", ">>", "<", "2>&1"]

    /// Whether `help` lists the flag `name` (as itself, not as the start of a longer flag).
    static func lists(_ help: String, _ name: String) -> Bool {
        var searchRange = help.startIndex..<help.endIndex
        while let found = help.range(of: name, range: searchRange) {
            let next = found.upperBound < help.endIndex ? help[found.upperBound] : " "
            if !(next.isLetter || next.isNumber || next == "-") { return true }
            searchRange = found.upperBound..<help.endIndex
        }
        return false
    }
}
