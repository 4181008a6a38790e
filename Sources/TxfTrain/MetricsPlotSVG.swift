import Foundation

/// SVG text for `MetricsPlot`'s panels, written by hand: panels stacked, one shared step axis.
///
/// Per panel, a `<g class="panel">` holds two `<line class="axis">`, tick marks with their
/// labels (`<text class="x-tick" x=…>` centred on its tick, `<text class="y-tick" y=…>` middled
/// on it), light grid lines, one `<polyline class="series" data-series=TAG>` per curve and
/// a legend on the right. Coordinates have two decimals (1/100 pixel).
enum PlotSVG {
    // Layout in pixels.
    static let width = 820.0
    static let titleHeight = 40.0
    static let panelHeight = 250.0
    /// Space for the panel's title above its plot area.
    static let panelTop = 28.0
    /// Space for the x tick labels and the axis label below the plot area.
    static let panelBottom = 52.0
    static let left = 84.0
    /// Space for the legend right of the plot area.
    static let right = 170.0
    static let gridColour = "#e4e4e4"
    static let colours = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]

    static var plotWidth: Double { width - left - right }
    static var plotHeight: Double { panelHeight - panelTop - panelBottom }

    static func render(panels: [PlotPanel], title: String) -> String {
        let height = titleHeight + panelHeight * Double(panels.count)
        let maxStep = panels.flatMap { $0.series.flatMap { $0.points.map(\.step) } }.max() ?? 1
        let steps = PlotAxis(low: 0, high: maxStep)
        var svg = [
            #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(n(width))" height="\#(n(height))" viewBox="0 0 \#(n(width)) \#(n(height))" font-family="sans-serif" font-size="12">"#,
            #"<rect width="100%" height="100%" fill="white"/>"#,
            #"<text class="title" x="\#(n(left))" y="26" font-size="16" font-weight="bold">\#(escaped(title))</text>"#,
        ]
        for (index, panel) in panels.enumerated() {
            svg += render(panel, top: titleHeight + panelHeight * Double(index), steps: steps)
        }
        return (svg + ["</svg>"]).joined(separator: "\n") + "\n"
    }

    /// One panel whose box starts at `top`.
    private static func render(_ panel: PlotPanel, top: Double, steps: PlotAxis) -> [String] {
        let values = PlotAxis(low: panel.series.flatMap { $0.points.map(\.value) }.min()!,
                              high: panel.series.flatMap { $0.points.map(\.value) }.max()!)
        let y0 = top + panelTop, y1 = y0 + plotHeight, x0 = left, x1 = left + plotWidth
        let x = { (step: Double) in x0 + steps.fraction(step) * plotWidth }
        let y = { (value: Double) in y1 - values.fraction(value) * plotHeight }
        var out = [#"<g class="panel" data-title="\#(escaped(panel.title))">"#,
                   #"<text class="panel-title" x="\#(n(x0))" y="\#(n(y0 - 10))" font-size="14">\#(escaped(panel.title))</text>"#]
        for tick in values.ticks {
            out.append(#"<line class="grid" x1="\#(n(x0))" y1="\#(n(y(tick)))" x2="\#(n(x1))" y2="\#(n(y(tick)))" stroke="\#(gridColour)"/>"#)
            out.append(#"<line class="tick" x1="\#(n(x0 - 5))" y1="\#(n(y(tick)))" x2="\#(n(x0))" y2="\#(n(y(tick)))" stroke="black"/>"#)
            out.append(#"<text class="y-tick" x="\#(n(x0 - 8))" y="\#(n(y(tick)))" text-anchor="end" dominant-baseline="middle">\#(values.label(tick))</text>"#)
        }
        for tick in steps.ticks {
            out.append(#"<line class="tick" x1="\#(n(x(tick)))" y1="\#(n(y1))" x2="\#(n(x(tick)))" y2="\#(n(y1 + 5))" stroke="black"/>"#)
            out.append(#"<text class="x-tick" x="\#(n(x(tick)))" y="\#(n(y1 + 18))" text-anchor="middle">\#(steps.label(tick))</text>"#)
        }
        out.append(#"<line class="axis" x1="\#(n(x0))" y1="\#(n(y1))" x2="\#(n(x1))" y2="\#(n(y1))" stroke="black"/>"#)
        out.append(#"<line class="axis" x1="\#(n(x0))" y1="\#(n(y0))" x2="\#(n(x0))" y2="\#(n(y1))" stroke="black"/>"#)
        out.append(#"<text class="axis-label" x="\#(n(x0 + plotWidth / 2))" y="\#(n(y1 + 38))" text-anchor="middle">step</text>"#)
        let labelX = n(x0 - 66), labelY = n(y0 + plotHeight / 2)
        out.append(#"<text class="axis-label" x="\#(labelX)" y="\#(labelY)" transform="rotate(-90 \#(labelX) \#(labelY))" text-anchor="middle">\#(escaped(panel.title))</text>"#)

        for (index, series) in panel.series.enumerated() {
            let colour = colours[index % colours.count]
            let points = series.points.map { "\(n(x($0.step))),\(n(y($0.value)))" }.joined(separator: " ")
            out.append(#"<polyline class="series" data-series="\#(escaped(series.tag))" fill="none" stroke="\#(colour)" stroke-width="1.5" points="\#(points)"/>"#)
            if series.markers {
                for point in series.points {
                    out.append(#"<circle class="marker" cx="\#(n(x(point.step)))" cy="\#(n(y(point.value)))" r="2.5" fill="\#(colour)"/>"#)
                }
            }
            let legendY = y0 + 8 + 18 * Double(index)
            out.append(#"<line class="legend-line" x1="\#(n(x1 + 16))" y1="\#(n(legendY))" x2="\#(n(x1 + 40))" y2="\#(n(legendY))" stroke="\#(colour)" stroke-width="2"/>"#)
            out.append(#"<text class="legend" x="\#(n(x1 + 46))" y="\#(n(legendY))" dominant-baseline="middle">\#(escaped(series.name))</text>"#)
        }
        return out + ["</g>"]
    }

    /// A coordinate with two decimals.
    private static func n(_ value: Double) -> String { String(format: "%.2f", value) }

    private static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

/// An axis from `lower` to `upper` with ticks at a round step (1, 2 or 5 × 10ᵏ) covering the data.
struct PlotAxis {
    let lower: Double
    let upper: Double
    let ticks: [Double]
    /// Decimals the tick step needs (0.05 → 2).
    let decimals: Int

    /// About five ticks over [low, high]; a range of one value is widened around it.
    init(low: Double, high: Double) {
        var low = low, high = high
        if high <= low {
            let pad = low == 0 ? 1 : abs(low) * 0.1
            low -= pad
            high += pad
        }
        let raw = (high - low) / 5
        let magnitude = pow(10, floor(log10(raw)))
        let fraction = raw / magnitude
        let step = (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * magnitude
        // The 1e-9 keeps a bound that is a tick (0.3 / 0.1 = 2.9999…) from adding another.
        let first = floor(low / step + 1e-9), last = ceil(high / step - 1e-9)
        lower = first * step
        upper = last * step
        ticks = (0 ... Int(last - first)).map { (first + Double($0)) * step }
        decimals = max(0, -Int(floor(log10(step) + 1e-9)))
    }

    /// Where `value` lies between `lower` (0) and `upper` (1).
    func fraction(_ value: Double) -> Double { (value - lower) / (upper - lower) }

    func label(_ value: Double) -> String {
        let text = String(format: "%.\(decimals)f", value)
        return text.hasPrefix("-") && Double(text) == 0 ? String(text.dropFirst()) : text
    }
}
