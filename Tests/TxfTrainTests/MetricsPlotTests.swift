import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import TxfTestSupport
@testable import TxfTrain

/// `txf plot`'s SVG parsed back as XML: the panels and axes are there, and every curve's
/// points lie where the drawn tick labels put the data's values.
@Suite struct MetricsPlotTests {
    /// steps, train loss, learning rate; eval steps, eval loss, accuracy, f1.
    static let steps = [10, 20, 30, 40, 50]
    static let losses = [0.69, 0.61, 0.52, 0.47, 0.43]
    static let rates = [1e-4, 2e-4, 1.5e-4, 1e-4, 5e-5]
    static let evalSteps = [20, 40, 50]
    static let evalLosses = [0.58, 0.49, 0.45]
    static let accuracies = [0.71, 0.78, 0.8]
    static let f1s = [0.65, 0.77, 0.79]

    static func writeMetrics(_ directory: String) throws {
        var text = ""
        for (i, step) in steps.enumerated() {
            text += #"{"event":"train","step":\#(step),"epoch":0.5,"loss":\#(losses[i]),"lr":\#(rates[i]),"grad_norm":1.5,"tokens_per_s":5400,"elapsed_s":3}"# + "\n"
            if let e = evalSteps.firstIndex(of: step) {
                text += #"{"event":"eval","step":\#(step),"loss":\#(evalLosses[e]),"accuracy":\#(accuracies[e]),"f1":\#(f1s[e]),"count":872}"# + "\n"
            }
        }
        text += #"{"event":"checkpoint","step":50,"path":"x/final.h5"}"# + "\n" + #"{"event":"train","st"#  // cut by a kill
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try text.write(toFile: directory + "/metrics.jsonl", atomically: true, encoding: .utf8)
    }

    @Test func curvesLieOnTheirAxes() throws {
        let directory = TrainFixture.runDirectory("plot <&>")
        try Self.writeMetrics(directory)
        let path = try MetricsPlot.write(runDirectory: directory)
        #expect(path == directory + "/metrics.svg")
        let svg = try SVGReader(path: path)
        #expect(svg.title == "txf run \(directory)")
        #expect(svg.panels.map(\.title) == ["loss", "learning rate", "evaluation"])
        #expect(svg.panels.map { $0.series.map(\.tag) } == [["train/loss", "eval/loss"], ["train/learning_rate"], ["eval/accuracy", "eval/f1"]])
        let data: [String: (steps: [Int], values: [Double])] = [
            "train/loss": (Self.steps, Self.losses), "train/learning_rate": (Self.steps, Self.rates),
            "eval/loss": (Self.evalSteps, Self.evalLosses), "eval/accuracy": (Self.evalSteps, Self.accuracies),
            "eval/f1": (Self.evalSteps, Self.f1s),
        ]
        for panel in svg.panels {
            #expect(panel.axes == 2, "\(panel.title)")
            #expect(panel.xTicks.count >= 3 && panel.yTicks.count >= 3, "\(panel.title)")
            #expect(panel.xTicks.first?.value == 0, "the step axis starts at 0")
            let x = try #require(Mapping(panel.xTicks)), y = try #require(Mapping(panel.yTicks))
            for series in panel.series {
                let (steps, values) = try #require(data[series.tag])
                #expect(series.points.count == steps.count, "\(series.tag)")
                for (point, (step, value)) in zip(series.points, zip(steps, values)) {
                    #expect(abs(point.x - x.pixel(Double(step))) < 0.05, "\(series.tag) step \(step): x \(point.x)")
                    #expect(abs(point.y - y.pixel(value)) < 0.05, "\(series.tag) step \(step): y \(point.y)")
                }
            }
            // Every value is inside the drawn axis range.
            let plotted = panel.series.flatMap { data[$0.tag]?.values ?? [] }
            #expect(plotted.allSatisfy { $0 >= panel.yTicks.first!.value && $0 <= panel.yTicks.last!.value })
        }
    }

    @Test func txfPlotNamesAMissingOrEmptyMetricsFile() throws {
        let directory = TrainFixture.runDirectory("plot-errors")
        let missing = try Job.run("txf", ranks: nil, ["plot", directory], timeout: 60)
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("cannot read \(directory)/metrics.jsonl: no such file"), "\(missing.output)")

        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: directory + "/metrics.jsonl", contents: Data())
        let empty = try Job.run("txf", ranks: nil, ["plot", directory], timeout: 60)
        #expect(empty.status == 1)
        #expect(empty.stderr.contains("\(directory)/metrics.jsonl holds no metrics lines"), "\(empty.output)")

        try Self.writeMetrics(directory)
        let output = directory + "/elsewhere.svg"
        let written = try Job.run("txf", ranks: nil, ["plot", directory, "--output", output], timeout: 60)
        #expect(written.status == 0, "\(written.output)")
        #expect(written.stdout.contains("wrote \(output)"))
        #expect(try SVGReader(path: output).panels.count == 3)
    }
}

/// Tick labels to pixels: the line through the first and last tick.
struct Mapping {
    let offset: Double, scale: Double

    init?(_ ticks: [(value: Double, pixel: Double)]) {
        guard let a = ticks.first, let b = ticks.last, b.value != a.value else { return nil }
        scale = (b.pixel - a.pixel) / (b.value - a.value)
        offset = a.pixel - scale * a.value
    }

    func pixel(_ value: Double) -> Double { offset + scale * value }
}

/// The parts of the plot's SVG the test checks, read with Foundation's XMLParser.
final class SVGReader: NSObject, XMLParserDelegate {
    struct Series { var tag: String; var points: [(x: Double, y: Double)] }
    struct Panel {
        var title = ""
        var axes = 0
        var xTicks: [(value: Double, pixel: Double)] = []
        var yTicks: [(value: Double, pixel: Double)] = []
        var series: [Series] = []
    }

    private(set) var title = ""
    private(set) var panels: [Panel] = []
    private var textClass: String?
    private var textPixel = 0.0
    private var text = ""

    init(path: String) throws {
        super.init()
        let parser = try #require(XMLParser(contentsOf: URL(fileURLWithPath: path)))
        parser.delegate = self
        try #require(parser.parse(), "\(path) is not well-formed XML: \(String(describing: parser.parserError))")
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        let kind = attributes["class"]
        switch (name, kind) {
        case ("g", "panel"?): panels.append(Panel(title: attributes["data-title"] ?? ""))
        case ("line", "axis"?): panels[panels.count - 1].axes += 1
        case ("polyline", "series"?):
            let points = (attributes["points"] ?? "").split(separator: " ").map { pair in
                let xy = pair.split(separator: ",").compactMap { Double($0) }
                return (x: xy[0], y: xy[1])
            }
            panels[panels.count - 1].series.append(Series(tag: attributes["data-series"] ?? "", points: points))
        case ("text", let kind?) where ["title", "x-tick", "y-tick"].contains(kind):
            textClass = kind
            textPixel = Double(attributes[kind == "x-tick" ? "x" : "y"] ?? "") ?? .nan
            text = ""
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        guard name == "text", let kind = textClass else { return }
        textClass = nil
        switch kind {
        case "title": title = text
        case "x-tick": panels[panels.count - 1].xTicks.append((Double(text) ?? .nan, textPixel))
        default: panels[panels.count - 1].yTicks.append((Double(text) ?? .nan, textPixel))
        }
    }
}
