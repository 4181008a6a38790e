import Foundation
import TxfCore

/// The picture of a run: training loss, learning rate and evaluation metrics against step, as
/// one SVG a browser opens (`txf plot`, and `txf-train` at the end of a run).
///
/// Panels, each drawn only when it has points, all on the same step axis:
/// - loss: the train lines' `loss` (the mean of each log interval) and the eval lines' `loss`;
/// - learning rate: the train lines' `lr`;
/// - evaluation: every other numeric eval field (`accuracy`, and F1, MCC, … where present).
/// Each curve is a `<polyline data-series="TAG">`, TAG being the TensorBoard tag of the same
/// scalars (`train/loss`, `eval/accuracy`, …).
public enum MetricsPlot {
    /// The plot's name in the run directory.
    public static let fileName = "metrics.svg"

    /// Reads `runDirectory`/metrics.jsonl and writes the plot to `output` (default
    /// `runDirectory`/metrics.svg, replaced whole); returns the path written.
    /// - Throws: `TxfError` naming the metrics file when it is missing or holds nothing to plot.
    @discardableResult
    public static func write(runDirectory: String, output: String? = nil) throws -> String {
        let run = RunDirectory(path: runDirectory)
        let panels = panels(try MetricsLine.read(path: run.metricsPath))
        if panels.isEmpty { throw TxfError("\(run.metricsPath) holds no train or eval numbers to plot") }
        let path = output ?? run.file(fileName)
        do {
            try PlotSVG.render(panels: panels, title: "txf run \(runDirectory)").write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw TxfError("cannot write \(path): \(error.localizedDescription)")
        }
        return path
    }

    /// `write` at the end of training (rank 0): a plot that cannot be made is a warning on
    /// standard error, never a failed run.
    public static func writeAtEndOfRun(runDirectory: String) {
        do { try write(runDirectory: runDirectory) } catch {
            FileHandle.standardError.write(Data("txf-train: warning: no \(fileName): \(error)\n".utf8))
        }
    }

    /// The panels of `lines` that have points, in the order documented above.
    static func panels(_ lines: [MetricsLine]) -> [PlotPanel] {
        let evalKeys = lines.filter { $0.event == "eval" }.flatMap { $0.scalars.map(\.key) }
        var otherEvalKeys: [String] = []
        for key in evalKeys where key != "loss" && !otherEvalKeys.contains(key) { otherEvalKeys.append(key) }
        let all = [
            PlotPanel(title: "loss", series: [series(lines, "train", "loss", name: "train loss"),
                                              series(lines, "eval", "loss", name: "eval loss")]),
            PlotPanel(title: "learning rate", series: [series(lines, "train", "lr", name: "learning rate")]),
            PlotPanel(title: "evaluation", series: otherEvalKeys.map { series(lines, "eval", $0, name: $0) }),
        ]
        return all.compactMap { panel in
            var panel = panel
            panel.series.removeAll { $0.points.isEmpty }
            return panel.series.isEmpty ? nil : panel
        }
    }

    /// The (step, value) points of `key` in the lines of `event`.
    static func series(_ lines: [MetricsLine], _ event: String, _ key: String, name: String) -> PlotSeries {
        let points = lines.filter { $0.event == event }.compactMap { line in
            line.value(key).map { PlotPoint(step: Double(line.step), value: $0) }
        }
        // Evaluations are few: dots show where each one is.
        return PlotSeries(name: name, tag: TensorBoardLog.tag(event: event, key: key), points: points, markers: event == "eval")
    }
}

/// One panel: a title (also its y-axis label) and its curves.
struct PlotPanel {
    var title: String
    var series: [PlotSeries]
}

/// One curve: the legend's name, the TensorBoard tag of the same scalars, its points.
struct PlotSeries {
    var name: String
    var tag: String
    var points: [PlotPoint]
    /// A dot at every point, for curves of a few points.
    var markers: Bool
}

struct PlotPoint: Equatable {
    var step: Double
    var value: Double
}
