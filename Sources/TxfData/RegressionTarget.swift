import Foundation

/// How a regression dataset's label text becomes its target (`txf prepare --task regression`).
///
/// A target is a decimal number (surrounding spaces allowed: "3.8", " 0 ", "-1.5e-1"), stored
/// as float32 in `/targets`. Anything else is a bad row: text, an empty field, "nan", "inf", or
/// a number beyond float32's range, since any of those would make every loss after it NaN.
public enum RegressionTarget {
    /// The target `text` gives, or a `RowError` naming the problem.
    public static func parse(_ text: String, line: Int) throws -> Float {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let value = Double(trimmed) else {
            throw RowError(line: line, "target '\(text)' is not a number (--task regression needs a real-valued label column)")
        }
        guard value.isFinite else {
            throw RowError(line: line, "target '\(text)' is not a finite number")
        }
        let single = Float(value)
        guard single.isFinite else {
            throw RowError(line: line, "target \(trimmed) is beyond float32's range (±\(Float.greatestFiniteMagnitude))")
        }
        return single
    }
}
