import Foundation

/// The terminal the person who started the run watches, when there is one: where rank 0's
/// progress bar may be drawn, and how wide it may be.
///
/// Run directly, that is standard output when it is a terminal. Under mpirun it is not so
/// simple: Open MPI (4.1's ORTE) gives every rank a pseudo-terminal of its own for standard
/// output, whatever mpirun's own standard output is (a file, a pipe), and copies what the rank
/// writes there to mpirun's standard output. So a rank's own `isatty(1)` says nothing; the
/// terminal, if any, is mpirun's standard output. mpirun is found as the nearest ancestor
/// whose standard output is another file than this process's: on mpirun's own host the rank's
/// parent is mpirun (a wrapper such as `sh -c` between them shares the rank's pseudo-terminal
/// and is passed over); on another host it is `orted`, whose output is never a terminal. Its
/// `/proc/<pid>/fd/1` is opened, which gives a descriptor of the same file, and asked
/// `isatty` and its window size.
///
/// Open MPI's options that rewrite the ranks' output line by line (`--tag-output`,
/// `--timestamp-output`, `--output-filename`, `--xml`) reach the ranks as `OMPI_MCA_orte_*`
/// variables; a bar of carriage returns would be garbled there, so they mean no terminal.
/// Whatever cannot be read (another PID namespace, a launcher that is not Open MPI's, /proc
/// missing) means no terminal too: plain lines are always safe.
public final class LaunchTerminal {
    /// A descriptor of the terminal, for its window size.
    let descriptor: Int32
    /// Whether `descriptor` was opened here (and is closed with this object).
    private let opened: Bool

    private init(descriptor: Int32, opened: Bool) {
        self.descriptor = descriptor
        self.opened = opened
    }

    deinit { if opened { close(descriptor) } }

    /// Columns the terminal has now (TIOCGWINSZ), 80 when it does not say: it is asked on
    /// every draw, so a resized window is followed.
    public var columns: Int {
        var size = winsize()
        guard ioctl(descriptor, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return LaunchTerminal.fallbackColumns }
        return Int(size.ws_col)
    }

    /// The width assumed when the terminal reports none.
    public static let fallbackColumns = 80

    /// The terminal of this process's launch (see the type), nil when its output reaches none.
    public static func find(environment: [String: String] = ProcessInfo.processInfo.environment) -> LaunchTerminal? {
        guard isatty(1) != 0 else { return nil }
        guard isUnderMPILauncher(environment) else { return LaunchTerminal(descriptor: 1, opened: false) }
        guard !rewritesOutput(environment) else { return nil }
        return launcherTerminal(from: getppid())
    }

    /// The terminal that is the standard output of `pid` or of the nearest of its ancestors
    /// whose standard output is another file than `output` (this process's descriptor); nil
    /// when that standard output is no terminal or cannot be read.
    static func launcherTerminal(from pid: pid_t, besides output: Int32 = 1) -> LaunchTerminal? {
        var own = stat()
        guard fstat(output, &own) == 0 else { return nil }
        var next = pid
        for _ in 0 ..< 16 where next > 1 {
            var theirs = stat()
            guard stat("/proc/\(next)/fd/1", &theirs) == 0 else { return nil }
            if theirs.st_dev == own.st_dev && theirs.st_ino == own.st_ino {
                guard let parent = parent(of: next) else { return nil }
                next = parent
                continue
            }
            // A terminal is a character device; opening anything else (a FIFO) could block or
            // have effects of its own.
            guard theirs.st_mode & S_IFMT == S_IFCHR else { return nil }
            let descriptor = open("/proc/\(next)/fd/1", O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
            guard descriptor >= 0 else { return nil }
            guard isatty(descriptor) != 0 else {
                close(descriptor)
                return nil
            }
            return LaunchTerminal(descriptor: descriptor, opened: true)
        }
        return nil
    }

    /// The parent of `pid`, from the `PPid:` line of /proc/<pid>/status.
    static func parent(of pid: pid_t) -> pid_t? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("PPid:") }) else { return nil }
        return pid_t(line.dropFirst("PPid:".count).trimmingCharacters(in: .whitespaces))
    }

    /// Whether `environment` is that of a rank started by mpirun (Open MPI or PMIx sets these).
    public static func isUnderMPILauncher(_ environment: [String: String]) -> Bool {
        environment["OMPI_COMM_WORLD_SIZE"] != nil || environment["PMIX_RANK"] != nil
    }

    /// The MCA parameters of mpirun's options that prefix, timestamp, wrap or copy each line
    /// the ranks write.
    static let outputRewritingParameters = ["OMPI_MCA_orte_tag_output", "OMPI_MCA_orte_timestamp_output",
                                            "OMPI_MCA_orte_output_filename", "OMPI_MCA_orte_xml_output"]

    /// Whether one of mpirun's output-rewriting options is on (`outputRewritingParameters`).
    public static func rewritesOutput(_ environment: [String: String]) -> Bool {
        outputRewritingParameters.contains { name in environment[name].map { !["", "0", "false"].contains($0) } ?? false }
    }
}
