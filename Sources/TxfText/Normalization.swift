import Foundation

/// Python `str` operations the BERT tokenizer applies, on scalar arrays so that results match
/// code point for code point. (Swift `String` compares and hashes up to canonical equivalence,
/// Python does not; so scalars, not `String`s, are the currency here.)
enum Normalization {
    /// Python's `unicodedata.normalize("NFC", text)`.
    ///
    /// Text whose scalars are all below U+0300 is already NFC (every such scalar has
    /// NFC_Quick_Check=Yes and combining class 0), so it skips Foundation entirely.
    static func nfc(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        if scalars.allSatisfy({ $0.value < 0x300 }) { return scalars }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return Array(String(view).precomposedStringWithCanonicalMapping.unicodeScalars)
    }

    /// Python's `str.lower()`: the full (possibly multi-scalar) lowercase mapping of each scalar,
    /// with the one context rule Python implements, Final_Sigma: U+03A3 becomes ς (U+03C2) when
    /// preceded by a cased letter and not followed by one (case-ignorable scalars skipped both
    /// ways), else σ (U+03C3). `tokenizers` (BertTokenizerFast) skips that rule and always gives σ.
    static func pythonLowercase(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(scalars.count)
        for (i, s) in scalars.enumerated() {
            let v = s.value
            if v < 0x80 {
                out.append(v >= 0x41 && v <= 0x5A ? Unicode.Scalar(v + 32)! : s)
            } else if v == 0x03A3 {
                out.append(Unicode.Scalar(isFinalSigma(scalars, at: i) ? 0x03C2 : 0x03C3)!)
            } else {
                out.append(contentsOf: s.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return out
    }

    /// CPython's `handle_capital_sigma`: `\p{cased} \p{case-ignorable}* Σ !(\p{case-ignorable}* \p{cased})`.
    private static func isFinalSigma(_ scalars: [Unicode.Scalar], at i: Int) -> Bool {
        var j = i - 1
        while j >= 0 && scalars[j].properties.isCaseIgnorable { j -= 1 }
        guard j >= 0 && scalars[j].properties.isCased else { return false }
        j = i + 1
        while j < scalars.count && scalars[j].properties.isCaseIgnorable { j += 1 }
        return j == scalars.count || !scalars[j].properties.isCased
    }

    /// HF `_run_strip_accents`: NFD, then drop every nonspacing mark (category `Mn`).
    static func stripAccents(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        // Below U+00C0 nothing decomposes and nothing is a mark.
        if scalars.allSatisfy({ $0.value < 0xC0 }) { return scalars }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view).decomposedStringWithCanonicalMapping.unicodeScalars.filter {
            $0.properties.generalCategory != .nonspacingMark
        }
    }
}
