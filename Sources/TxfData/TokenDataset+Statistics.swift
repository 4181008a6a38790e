/// Row-length and label figures of a dataset (what `txf inspect` prints).
public struct DatasetStatistics: Sendable, Equatable {
    /// Row lengths in tokens at the nearest-rank percentiles (p = 0 is the minimum).
    public var minLength: Int
    public var p50: Int
    public var p90: Int
    public var p99: Int
    public var maxLength: Int
    public var meanLength: Double
    /// Rows per class id, one entry per label name (empty when unlabelled).
    public var labelCounts: [Int]

    public init(minLength: Int, p50: Int, p90: Int, p99: Int, maxLength: Int, meanLength: Double, labelCounts: [Int]) {
        self.minLength = minLength
        self.p50 = p50
        self.p90 = p90
        self.p99 = p99
        self.maxLength = maxLength
        self.meanLength = meanLength
        self.labelCounts = labelCounts
    }

    /// Nearest-rank percentile of an ascending list: the value at rank ⌈p/100 · n⌉ (1-based).
    public static func percentile(_ sorted: [Int32], _ p: Double) -> Int {
        precondition(!sorted.isEmpty)
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return Int(sorted[min(max(rank, 1), sorted.count) - 1])
    }
}

extension TokenDataset {
    /// Length percentiles and label counts over all rows (reads only offsets and labels).
    public func statistics() -> DatasetStatistics {
        let sorted = lengths.sorted()
        var counts = [Int](repeating: 0, count: labelNames.count)
        for label in labels where label >= 0 && Int(label) < counts.count { counts[Int(label)] += 1 }
        let total = sorted.reduce(0) { $0 + Int($1) }
        return DatasetStatistics(
            minLength: Int(sorted.first ?? 0),
            p50: sorted.isEmpty ? 0 : DatasetStatistics.percentile(sorted, 50),
            p90: sorted.isEmpty ? 0 : DatasetStatistics.percentile(sorted, 90),
            p99: sorted.isEmpty ? 0 : DatasetStatistics.percentile(sorted, 99),
            maxLength: Int(sorted.last ?? 0),
            meanLength: sorted.isEmpty ? 0 : Double(total) / Double(sorted.count),
            labelCounts: counts)
    }
}
