import Foundation

/// The case and accent steps of `tokenizers`' `BertNormalizer`, on scalar arrays so that results
/// match scalar for scalar. (Swift `String` compares and hashes up to canonical equivalence,
/// Rust `str` does not; so scalars, not `String`s, are the currency here.)
enum Normalization {
    /// Unicode version of the decomposition tables of `unicode-normalization-alignments`.
    static let decompositionVersion = (major: 9, minor: 0)

    /// Canonical decomposition (NFD) as `tokenizers` computes it, with Unicode 9.0 tables: a
    /// scalar assigned later neither decomposes nor moves (combining class 0, a starter).
    ///
    /// Canonical reordering never crosses a starter, so NFD of the stretches between such
    /// scalars, joined, is the whole result.
    static func decomposed(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(scalars.count + 4)
        var stretch = String.UnicodeScalarView()
        for s in scalars {
            if isNewerThanDecompositionTables(s) {
                out.append(contentsOf: String(stretch).decomposedStringWithCanonicalMapping.unicodeScalars)
                stretch = String.UnicodeScalarView()
                out.append(s)
            } else {
                stretch.append(s)
            }
        }
        out.append(contentsOf: String(stretch).decomposedStringWithCanonicalMapping.unicodeScalars)
        return out
    }

    private static func isNewerThanDecompositionTables(_ s: Unicode.Scalar) -> Bool {
        guard let age = s.properties.age else { return false }  // unassigned: no mapping either way
        return age.major > decompositionVersion.major
            || (age.major == decompositionVersion.major && age.minor > decompositionVersion.minor)
    }

    /// `BertNormalizer`'s `do_strip_accents`: NFD, then drop every nonspacing mark (Mn).
    static func strippingAccents(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        // Below U+00C0 nothing decomposes and nothing is a mark.
        if scalars.allSatisfy({ $0.value < 0xC0 }) { return scalars }
        return decomposed(scalars).filter { !CharacterClasses.isNonspacingMark($0) }
    }

    /// `BertNormalizer`'s `do_lowercase`: Rust's `char::to_lowercase` of each scalar on its own,
    /// the full (possibly multi-scalar) mapping, no context. So Σ is always σ, never the final ς
    /// Python's `str.lower()` gives at a word's end; İ becomes "i" + U+0307.
    static func lowercased(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(scalars.count)
        for s in scalars {
            let v = s.value
            if v < 0x80 {
                out.append(v >= 0x41 && v <= 0x5A ? Unicode.Scalar(v + 32)! : s)
            } else {
                out.append(contentsOf: s.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return out
    }
}
