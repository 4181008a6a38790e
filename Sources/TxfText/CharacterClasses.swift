/// The character predicates of Hugging Face's Rust `tokenizers` BERT pipeline (`BertNormalizer`,
/// `BertPreTokenizer`), the tokenizer `AutoTokenizer` and transformers 5's `BertTokenizer` run,
/// on Unicode scalars (Rust `char`s).
///
/// `tokenizers` answers from three sets of Unicode tables, each its own age:
/// - general categories (control, punctuation, nonspacing mark) from the `unicode_categories`
///   crate: Unicode 8.0. A scalar assigned later is none of them; a few scalars have changed
///   category since (`unicode8Changes`).
/// - canonical decompositions and combining classes from `unicode-normalization-alignments`:
///   Unicode 9.0 (`Normalization.decomposed`).
/// - `char::is_whitespace` (White_Space) and `char::to_lowercase` from Rust's standard library,
///   which agree with Swift's for every scalar.
///
/// Swift's own tables are newer (Unicode 16), so the older versions are emulated with each
/// scalar's age. Tests/TxfTextTests checks every scalar against `tokenizers`.
enum CharacterClasses {
    /// Unicode version of the `unicode_categories` tables.
    static let categoryVersion = (major: 8, minor: 0)

    /// Scalars assigned by Unicode 8.0 whose general category has changed since, with their
    /// 8.0 category.
    private static let unicode8Changes: [UInt32: Unicode.GeneralCategory] = [
        0x166D: .otherPunctuation,  // CANADIAN SYLLABICS CHI SIGN, So since 12.0
        0x111C9: .otherPunctuation,  // SHARADA SANDHI MARK, Mn since 9.0
        0x1885: .otherLetter, 0x1886: .otherLetter,  // MONGOLIAN LETTER ALI GALI BALUDA, Mn since 9.0
        0xA9BD: .spacingMark,  // JAVANESE CONSONANT SIGN KERET, Mn since 12.0
        0x1734: .nonspacingMark,  // HANUNOO SIGN PAMUDPOD, Mc since 14.0
        0x1171E: .nonspacingMark,  // AHOM CONSONANT SIGN MEDIAL RA, Mc since 14.0
    ]

    /// The general category `unicode_categories` gives the scalar: its Unicode 8.0 category,
    /// `.unassigned` when it was assigned later.
    @inline(__always)
    static func unicode8Category(_ s: Unicode.Scalar) -> Unicode.GeneralCategory {
        if let old = unicode8Changes[s.value] { return old }
        guard let age = s.properties.age,
              age.major < categoryVersion.major
                || (age.major == categoryVersion.major && age.minor <= categoryVersion.minor)
        else { return .unassigned }
        return s.properties.generalCategory
    }

    /// `BertNormalizer`'s `is_control` (plus the NUL and U+FFFD it also drops): category Cc, Cf,
    /// Co or Cs in Unicode 8.0, except tab, newline and return. Unassigned scalars stay (as
    /// [UNK]). Checked before whitespace, so U+000B, U+000C and U+0085 vanish.
    @inline(__always)
    static func isControl(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if v < 0x80 { return (v < 0x20 && v != 0x09 && v != 0x0A && v != 0x0D) || v == 0x7F }
        if v == 0xFFFD { return true }
        switch unicode8Category(s) {
        case .control, .format, .surrogate, .privateUse: return true
        default: return false
        }
    }

    /// Rust's `char::is_whitespace` (the White_Space property), what both `BertNormalizer` (turned
    /// into a space) and `BertPreTokenizer` (split on) test.
    @inline(__always)
    static func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if v < 0x80 { return v == 0x20 || (v >= 0x09 && v <= 0x0D) }
        return s.properties.isWhitespace
    }

    /// `BertPreTokenizer`'s `is_bert_punc`: ASCII punctuation (every printable non-alphanumeric
    /// ASCII character) or category P* in Unicode 8.0.
    @inline(__always)
    static func isPunctuation(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if v < 0x80 {
            return (v >= 33 && v <= 47) || (v >= 58 && v <= 64) || (v >= 91 && v <= 96) || (v >= 123 && v <= 126)
        }
        switch unicode8Category(s) {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    /// What accent stripping drops: category Mn in Unicode 8.0.
    @inline(__always)
    static func isNonspacingMark(_ s: Unicode.Scalar) -> Bool {
        s.value >= 0x300 && unicode8Category(s) == .nonspacingMark
    }

    /// `BertNormalizer`'s `is_chinese_char`: the CJK Unified Ideographs blocks and extensions it
    /// lists, by code point, assigned or not (Hangul, kana and CJK punctuation are not included).
    /// Its Extension D/E range starts at U+2B920, not U+2B820 as in the Python tokenizer.
    @inline(__always)
    static func isChineseCharacter(_ s: Unicode.Scalar) -> Bool {
        let cp = s.value
        if cp < 0x3400 { return false }
        return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF)
            || (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F)
            || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF)
            || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F)
    }
}
