import Foundation

/// Count, mean, standard deviation and range of a regression dataset's targets (what
/// `txf prepare` and `txf inspect` print).
///
/// Welford's running mean and sum of squared deviations in Double, so a long file's
/// statistics do not lose digits to one large sum.
public struct TargetStatistics: Sendable, Equatable {
    public private(set) var count = 0
    public private(set) var mean = 0.0
    /// Σ (x − mean)² so far.
    private var squaredDeviations = 0.0
    public private(set) var minimum = Double.infinity
    public private(set) var maximum = -Double.infinity

    public init() {}

    /// The statistics of `values`.
    public init(_ values: [Float]) {
        for value in values { add(value) }
    }

    public mutating func add(_ value: Float) {
        let x = Double(value)
        count += 1
        let delta = x - mean
        mean += delta / Double(count)
        squaredDeviations += delta * (x - mean)
        minimum = min(minimum, x)
        maximum = max(maximum, x)
    }

    /// Population standard deviation (NumPy's `std`, ddof 0); 0 for no values.
    public var standardDeviation: Double { count == 0 ? 0 : (squaredDeviations / Double(count)).squareRoot() }

    /// "targets: 1500 rows, mean 2.364, std 1.500, min 0.000, max 5.000".
    public var summary: String {
        func f(_ x: Double) -> String { String(format: "%.3f", x) }
        return "targets: \(count) rows, mean \(f(mean)), std \(f(standardDeviation)), min \(f(minimum)), max \(f(maximum))"
    }
}

extension TokenDataset {
    /// The targets' statistics of a regression dataset; nil for classification.
    public func targetStatistics() -> TargetStatistics? {
        targets.map(TargetStatistics.init)
    }
}
