import Foundation

/// Rank 0's human-readable progress: one line per log interval, or a live bar redrawn in place
/// (`ProgressStyle` says which).
///
///     step 120/2000 | epoch 0.57 | loss 0.6531 | lr 9.00e-04 | grad 1.234 | 5,400 tok/s | MFU 52% | 180 samples/s | ETA 3m12s
///
/// MFU is the model's FLOP/s over the sgemm peak measured at start; without a peak the line
/// shows the model GFLOP/s instead.
public final class ProgressPrinter {
    /// Whether lines are redrawn in place.
    public let isTerminal: Bool
    /// The terminal the run was started from (its width cuts the bar); nil when none is.
    private let terminal: LaunchTerminal?
    /// Whether a live bar is on screen without its newline yet.
    private var barShown = false

    public init(style: ProgressStyle) {
        terminal = LaunchTerminal.find()
        isTerminal = style.drawsBar(onTerminal: terminal != nil)
    }

    /// Prints the event: train records as the progress line (or bar), others as their own lines.
    public func show(_ event: TrainingEvent) {
        switch event {
        case .train(let r):
            if isTerminal {
                let columns = terminal?.columns ?? LaunchTerminal.fallbackColumns
                write("\r" + ProgressPrinter.barLine(r, columns: columns) + "\u{1B}[K")
                barShown = true
                if r.step >= r.totalSteps { finishBar() }
            } else {
                write(ProgressPrinter.line(r) + "\n")
            }
        case .eval(let r):
            if let m = r.regression {
                say(String(format: "eval  step %d | loss %.4f | mse %.4f | pearson %.4f | spearman %.4f (%d samples)",
                           r.step, r.loss, m.mse, m.pearson, m.spearman, r.count))
                return
            }
            if let m = r.maskedLM {
                say(String(format: "eval  step %d | loss %.4f | masked accuracy %.2f%% (%d picked tokens of %d samples)",
                           r.step, r.loss, 100 * m.accuracy, m.predictedTokens, r.count))
                return
            }
            say(String(format: "eval  step %d | loss %.4f | accuracy %.2f%% | f1 %.4f | mcc %.4f (%d samples)",
                       r.step, r.loss, 100 * r.accuracy, r.f1, r.mcc, r.count))
        case .checkpoint(let r):
            say("saved \(r.path) (step \(r.step))")
        }
    }

    /// Prints a line of its own, below a live bar if one is shown.
    public func say(_ text: String) {
        finishBar()
        write(text + "\n")
    }

    private func finishBar() {
        if barShown { write("\n"); barShown = false }
    }

    private func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// The progress line for a train record (pure; tests read it).
    public static func line(_ r: TrainRecord) -> String {
        let width = String(r.totalSteps).count
        let step = String(repeating: " ", count: max(0, width - String(r.step).count)) + "\(r.step)"
        return "step \(step)/\(r.totalSteps) | epoch \(String(format: "%.2f", r.epoch))"
            + " | loss \(String(format: "%.4f", r.loss)) | lr \(String(format: "%.2e", Double(r.lr)))"
            + " | grad \(String(format: "%.3f", r.gradNorm))"
            + " | \(grouped(r.tokensPerSecond)) tok/s"
            + (r.mfu.map { " | MFU \(String(format: "%.0f", 100 * $0))%" } ?? " | \(String(format: "%.1f", r.gflopsPerSecond)) GFLOP/s")
            + " | \(grouped(r.samplesPerSecond)) samples/s"
            + " | ETA \(duration(r.etaSeconds))"
    }

    /// The bar and the progress line, fitted into `columns` less one (a line that fills the
    /// last column wraps on some terminals, and the next redraw then leaves it behind): while
    /// too long, the field before the ETA is dropped (throughput first, then the gradient norm,
    /// the learning rate, ...), then what is left is cut.
    ///
    ///     [#####...............] step  5/20 | epoch 0.25 | loss 0.6531 | ETA 3m12s
    public static func barLine(_ r: TrainRecord, columns: Int) -> String {
        let room = max(1, columns - 1)
        var fields = line(r).components(separatedBy: " | ")
        func joined() -> String { bar(step: r.step, total: r.totalSteps) + " " + fields.joined(separator: " | ") }
        while joined().count > room && fields.count > 2 { fields.remove(at: fields.count - 2) }
        return String(joined().prefix(room))
    }

    /// `[#####.....]` at `step` of `total`, 20 cells.
    public static func bar(step: Int, total: Int) -> String {
        let cells = 20
        let filled = total > 0 ? min(cells, cells * step / total) : cells
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: cells - filled) + "]"
    }

    /// "45s", "3m12s", "2h05m".
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
        return "\(s / 3600)h\(String(format: "%02d", (s % 3600) / 60))m"
    }

    /// A rounded count with thousands separators: 5400.7 → "5,401".
    public static func grouped(_ value: Double) -> String {
        guard value.isFinite else { return "?" }
        let digits = String(Int64(value.rounded()))
        var out = ""
        for (i, ch) in digits.reversed().enumerated() {
            if i > 0 && i % 3 == 0 && ch != "-" { out.append(",") }
            out.append(ch)
        }
        return String(out.reversed())
    }
}

/// How rank 0 shows progress: the `progress` training setting.
public enum ProgressStyle: String, Codable, CaseIterable, Sendable {
    /// `bar` when the run was started from a terminal (`LaunchTerminal`: standard output run
    /// directly, mpirun's standard output under mpirun, whose ranks always see a
    /// pseudo-terminal of Open MPI's), else `lines`.
    case auto
    /// One line redrawn in place.
    case bar
    /// A line per log interval, for logs.
    case lines

    /// Whether this style draws the bar, given whether the run was started from a terminal.
    public func drawsBar(onTerminal: Bool) -> Bool {
        switch self {
        case .bar: true
        case .lines: false
        case .auto: onTerminal
        }
    }
}
