import Foundation

/// How raw label text becomes a class id, and what the classes are called.
///
/// The rule (also in `txf prepare --help`):
/// - A label is a decimal integer (surrounding spaces allowed): "0", "1", " 2 ".
/// - With `names` (`--label-names negative,positive`) there are K = names.count classes and a
///   label must lie in 0..<K; the names are stored in that order.
/// - Without names, with `classCount` (`--num-labels K`): labels in 0..<K, named "0".."K-1".
/// - With neither: labels must be ≥ 0 and K = largest label + 1, named "0".."K-1" (a class
///   that never occurs still gets its name; the summary lists per-class counts).
/// - Unlabelled data (`--no-labels`): every row gets label -1 and no names are stored.
public struct LabelRule: Sendable, Equatable {
    /// Class names given by the user, in id order (nil: numbered names).
    public let names: [String]?
    /// A fixed class count given by the user (nil: from names, or from the data).
    public let classCount: Int?
    /// Largest label accepted so far (drives K when neither names nor a count is given).
    public private(set) var largestSeen: Int32 = -1

    public init(names: [String]? = nil, classCount: Int? = nil) {
        self.names = names
        self.classCount = names.map(\.count) ?? classCount
    }

    /// The class id of `text`, or a `RowError` naming the problem.
    public mutating func classId(of text: String, line: Int) throws -> Int32 {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let value = Int32(trimmed) else {
            throw RowError(line: line, "label '\(text)' is not an integer")
        }
        if let classCount {
            guard value >= 0 && Int(value) < classCount else {
                let source = names != nil ? "--label-names gives" : "--num-labels is"
                throw RowError(line: line, "label \(value) is not in 0..<\(classCount) (\(source) \(classCount))")
            }
        } else if value < 0 {
            throw RowError(line: line, "label \(value) is negative (labels are class ids 0, 1, ...)")
        }
        largestSeen = max(largestSeen, value)
        return value
    }

    /// Class names in id order once all labels are seen.
    public var labelNames: [String] {
        if let names { return names }
        let count = classCount ?? Int(largestSeen) + 1
        return (0..<count).map(String.init)
    }
}
