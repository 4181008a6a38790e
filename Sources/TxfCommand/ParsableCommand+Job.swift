import ArgumentParser
import Foundation
import TxfCore
import TxfDist

extension ParsableCommand {
    /// The main of txf's command-line executables: parses the arguments, then runs the
    /// command inside `Job.run`, so every failure ends the process the one way `Job` describes.
    ///
    /// Argument errors and `--help` stay the parser's: rank 0 prints them and every rank exits
    /// with the parser's status (0 for help, 64 for a usage error). Ranks usually parse the
    /// same arguments, so another rank's error is most often rank 0's too: it prints its own
    /// (`txf: rank R: …`) only after `otherRankDelay`, by when mpirun has ended it if rank 0
    /// failed alike; an error only it sees (an MPMD launch with other flags) is still printed.
    /// A shared failure's line names the command: `txf-train: …`, or `txf evaluate: …` for a
    /// subcommand, which is also the program every rank must run (`Job.program`).
    public static func mainAsJob() {
        var command: any ParsableCommand
        if let message = unknownSubcommand(Array(CommandLine.arguments.dropFirst())) { exitForArguments(ValidationError(message)) }
        do { command = try parseAsRoot() } catch { exitForArguments(error) }
        let chosen = type(of: command)
        let name = ObjectIdentifier(chosen) == ObjectIdentifier(Self.self) ? _commandName : "\(_commandName) \(chosen._commandName)"
        Job.program = name
        Job.run(name) {
            do { try command.run() } catch let error where isParserError(error) { exitForArguments(error) }
        }
    }

    /// A first argument that names none of the subcommands (`txf prepar --input …`), with the
    /// nearest name; the parser would blame the option after it instead. Nil when the command
    /// has no subcommands or the argument is one (or an option).
    static func unknownSubcommand(_ arguments: [String]) -> String? {
        let names = configuration.subcommands.flatMap { [$0._commandName] + $0.configuration.aliases } + ["help"]
        guard names.count > 1, let first = arguments.first, !first.hasPrefix("-"), !names.contains(first) else { return nil }
        let nearest = names.map { (name: $0, distance: editDistance($0, first)) }.filter { $0.distance < 4 }
            .min { $0.distance < $1.distance }
        return "unknown command '\(first)'" + (nearest.map { ". Did you mean '\($0.name)'?" } ?? "")
    }

    /// Seconds a rank other than 0 waits before printing its argument error.
    static var otherRankDelay: Double { 1.5 }

    /// Prints an argument error (rank 0 at once, the others after `otherRankDelay`) and ends
    /// the rank with the parser's status.
    private static func exitForArguments(_ error: any Error) -> Never {
        let rank = Job.launchRank
        if rank == 0 { exit(withError: error) }
        let code = exitCode(for: error)
        if code != .success {
            usleep(UInt32(otherRankDelay * 1e6))
            let text = fullMessage(for: error).trimmingCharacters(in: .whitespacesAndNewlines)
            FileHandle.standardError.write(Data("txf: rank \(rank): \(text)\n".utf8))
        }
        Foundation.exit(code.rawValue)
    }

    /// Errors a command throws to the parser: a status to exit with, a usage error, or the
    /// help that `--help` parses into (a command whose `run` throws it). The parser gives every
    /// other error the plain failure status.
    private static func isParserError(_ error: any Error) -> Bool {
        error is ExitCode || exitCode(for: error) != .failure
    }
}
