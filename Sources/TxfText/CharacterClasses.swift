/// The character predicates of Hugging Face's BERT tokenizer (`transformers.tokenization_python`
/// `_is_whitespace`, `_is_control`, `_is_punctuation`, and `BasicTokenizer._is_chinese_char`),
/// on Unicode scalars, the unit Python strings index.
///
/// Python answers from its own `unicodedata` tables (Unicode 14.0 in Python 3.11, 15.0 in 3.12,
/// 15.1 in 3.13); Swift's are newer (16.0 in Swift 6.3). The only difference that shows in
/// tokenization is a scalar assigned after Python's version: Python calls it unassigned (`Cn`), a
/// "control" character, and drops it. `UnicodeVersion` carries the version to emulate so that such
/// scalars are dropped here too.
public struct UnicodeVersion: Sendable, Equatable, Comparable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public init(_ major: Int, _ minor: Int) { self.major = major; self.minor = minor }

    /// Python 3.11's `unicodedata.unidata_version`: the project's reference interpreter.
    public static let python311 = UnicodeVersion(14, 0)

    /// Parses "14.0.0" or "15.1".
    public init?(_ text: String) {
        let parts = text.split(separator: ".").map { Int($0) }
        guard parts.count >= 2, let major = parts[0], let minor = parts[1] else { return nil }
        self.init(major, minor)
    }

    public static func < (a: UnicodeVersion, b: UnicodeVersion) -> Bool {
        (a.major, a.minor) < (b.major, b.minor)
    }

    public var description: String { "\(major).\(minor)" }
}

enum CharacterClasses {
    /// The scalar as Python's `unicodedata` of `version` would see it: true when it is assigned
    /// there. Scalars newer than `version` read as unassigned (`Cn`).
    @inline(__always)
    static func isAssigned(_ s: Unicode.Scalar, in version: UnicodeVersion) -> Bool {
        if s.value < 0x80 { return true }
        guard let age = s.properties.age else { return false }
        return age.major < version.major || (age.major == version.major && age.minor <= version.minor)
    }

    /// HF `_is_control`: any category `C*` (Cc, Cf, Cs, Co, Cn) except tab, newline, return.
    @inline(__always)
    static func isControl(_ s: Unicode.Scalar, version: UnicodeVersion) -> Bool {
        let v = s.value
        if v < 0x80 { return (v < 0x20 && v != 0x09 && v != 0x0A && v != 0x0D) || v == 0x7F }
        if !isAssigned(s, in: version) { return true }
        switch s.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned: return true
        default: return false
        }
    }

    /// HF `_is_whitespace`: space, tab, newline, return, or category `Zs`.
    @inline(__always)
    static func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if v < 0x80 { return v == 0x20 || v == 0x09 || v == 0x0A || v == 0x0D }
        return s.properties.generalCategory == .spaceSeparator
    }

    /// HF `_is_punctuation`: every non-alphanumeric printable ASCII character, or category `P*`.
    @inline(__always)
    static func isPunctuation(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if v < 0x80 {
            return (v >= 33 && v <= 47) || (v >= 58 && v <= 64) || (v >= 91 && v <= 96) || (v >= 123 && v <= 126)
        }
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    /// HF `_is_chinese_char`: the CJK Unified Ideographs blocks and extensions it lists, by code
    /// point, assigned or not (Hangul, kana and CJK punctuation are not included).
    @inline(__always)
    static func isChineseCharacter(_ s: Unicode.Scalar) -> Bool {
        let cp = s.value
        return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF)
            || (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F)
            || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF)
            || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F)
    }

    /// Python's `str.split()` separators (`str.isspace`): what `whitespace_tokenize` splits on.
    /// After `_clean_text` only space, U+2028 and U+2029 can still occur, but the full set keeps
    /// this exact for any input.
    @inline(__always)
    static func isPythonSpace(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if v < 0x80 { return v == 0x20 || (v >= 0x09 && v <= 0x0D) || (v >= 0x1C && v <= 0x1F) }
        switch v {
        case 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }
}
