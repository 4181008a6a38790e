import Foundation

/// How raw label text becomes a class id, and what the classes are called.
///
/// The rule (also in `txf prepare --help`); labels are trimmed of surrounding spaces first:
/// - With `names` (`--label-names negative,positive`) there are K = names.count classes, stored
///   in that order. A label equal to a name is that name's index; otherwise a decimal integer
///   in 0..<K is that id. The name wins when names are numbers: with `--label-names 1,2,3,4,5`
///   (1–5 star ratings) the label "1" is id 0 and "5" is id 4.
/// - Without names, with `classCount` (`--num-labels K`): integer labels in 0..<K, named "0".."K-1".
/// - With neither, integer labels: they must be ≥ 0 and K = largest label + 1, named "0".."K-1"
///   (a class that never occurs still gets its name; the summary lists per-class counts).
/// - With neither, text labels ("positive", MNLI's "entailment"): the distinct labels are the
///   names, sorted by their UTF-8 bytes, so a train and a dev file with the same label set get
///   the same ids. Ids are known only at the end: `classId` returns a provisional id (order of
///   first appearance) and `finalIds` maps it to the sorted one.
/// - A mix of integer and text labels without names is an error naming the line.
/// - Unlabelled data (`--no-labels`): every row gets label -1 and no names are stored.
public struct LabelRule: Sendable, Equatable {
    /// Class names given by the user, in id order (nil: numbered names, or names from the data).
    public let names: [String]?
    /// A fixed class count given by the user (nil: from names, or from the data).
    public let classCount: Int?
    /// Largest integer label accepted so far (drives K when neither names nor a count is given).
    public private(set) var largestSeen: Int32 = -1
    /// Text labels found in the data, in order of first appearance (index = provisional id).
    public private(set) var collected: [String] = []
    private var collectedIds: [String: Int32] = [:]
    /// The first label read without names, and its line: what a later label of the other kind
    /// (integer or text) is reported against.
    private var first: (text: String, line: Int)?

    public init(names: [String]? = nil, classCount: Int? = nil) {
        self.names = names
        self.classCount = names.map(\.count) ?? classCount
    }

    public static func == (a: LabelRule, b: LabelRule) -> Bool {
        a.names == b.names && a.classCount == b.classCount && a.largestSeen == b.largestSeen && a.collected == b.collected
    }

    /// Whether the names come from the data's text labels (stored sorted).
    public var namesFromData: Bool { names == nil && !collected.isEmpty }

    /// The class id of `text` (provisional when `namesFromData`), or a `RowError` naming the problem.
    public mutating func classId(of text: String, line: Int) throws -> Int32 {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let names, let index = names.firstIndex(of: trimmed) { return Int32(index) }
        guard let value = Int32(trimmed) else {
            if let names {
                throw RowError(line: line, "label '\(text)' is neither one of --label-names (\(names.joined(separator: ", "))) nor a class id 0..<\(names.count)")
            }
            if classCount != nil {
                throw RowError(line: line, "label '\(text)' is not an integer (--num-labels takes class ids; give --label-names for text labels)")
            }
            return try textId(trimmed, raw: text, line: line)
        }
        if let classCount {
            guard value >= 0 && Int(value) < classCount else {
                let source = names != nil ? "--label-names gives" : "--num-labels is"
                throw RowError(line: line, "label \(value) is not in 0..<\(classCount) (\(source) \(classCount))")
            }
        } else {
            if !collected.isEmpty, let first {
                throw RowError(line: line, "label '\(text)' is an integer, but the labels before it are text (line \(first.line): '\(first.text)'); give --label-names to map both")
            }
            if value < 0 { throw RowError(line: line, "label \(value) is negative (labels are class ids 0, 1, ...)") }
        }
        if first == nil { first = (trimmed, line) }
        largestSeen = max(largestSeen, value)
        return value
    }

    /// A text label's provisional id, collecting it when new.
    private mutating func textId(_ name: String, raw: String, line: Int) throws -> Int32 {
        if let id = collectedIds[name] { return id }
        if largestSeen >= 0, let first {
            throw RowError(line: line, "label '\(raw)' is not an integer, but the labels before it are (line \(first.line): '\(first.text)'); give --label-names to map both")
        }
        if first == nil { first = (name, line) }
        let id = Int32(collected.count)
        collected.append(name)
        collectedIds[name] = id
        return id
    }

    /// Class names in id order once all labels are seen.
    public var labelNames: [String] {
        if let names { return names }
        if namesFromData { return collected.sorted(by: LabelRule.byteOrder) }
        let count = classCount ?? Int(largestSeen) + 1
        return (0..<count).map(String.init)
    }

    /// Provisional id → final id, [collected.count]; nil when the ids `classId` gave are final.
    public var finalIds: [Int32]? {
        guard namesFromData else { return nil }
        let sorted = labelNames
        let position = Dictionary(uniqueKeysWithValues: sorted.enumerated().map { ($1, Int32($0)) })
        return collected.map { position[$0]! }
    }

    /// UTF-8 byte order (code point order), the same on every platform and in Python's `sorted`.
    static func byteOrder(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }
}
