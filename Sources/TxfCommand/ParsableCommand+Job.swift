import ArgumentParser
import Foundation
import TxfDist

extension ParsableCommand {
    /// The main of txf's command-line executables: parses the arguments, then runs the
    /// command inside `Job.run`, so every failure ends the process the one way `Job` describes.
    ///
    /// Argument errors and `--help` stay the parser's: every rank parsed the same arguments, so
    /// rank 0 alone prints them and every rank exits with the parser's status (0 for help, 64
    /// for a usage error). A shared failure's line names the command: `txf-train: …`, or
    /// `txf evaluate: …` for a subcommand.
    public static func mainAsJob() {
        var command: any ParsableCommand
        do { command = try parseAsRoot() } catch { exitForArguments(error) }
        let chosen = type(of: command)
        let name = ObjectIdentifier(chosen) == ObjectIdentifier(Self.self) ? _commandName : "\(_commandName) \(chosen._commandName)"
        Job.run(name) {
            do { try command.run() } catch let error where isParserError(error) { exitForArguments(error) }
        }
    }

    /// Prints an argument error on rank 0 and ends every rank with the parser's status.
    private static func exitForArguments(_ error: any Error) -> Never {
        if Job.launchRank == 0 { exit(withError: error) }
        Foundation.exit(exitCode(for: error).rawValue)
    }

    /// Errors a command throws to the parser: a status to exit with, a usage error, or the
    /// help that `--help` parses into (a command whose `run` throws it). The parser gives every
    /// other error the plain failure status.
    private static func isParserError(_ error: any Error) -> Bool {
        error is ExitCode || exitCode(for: error) != .failure
    }
}
