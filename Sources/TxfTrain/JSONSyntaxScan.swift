/// Finds where a JSON text stops being JSON (RFC 8259), for error messages that name a line
/// and column: Foundation's parser on Linux says at most "around character N", and for some
/// errors (`tru`) only "unexpected end of file".
///
/// A recognizer, not a parser: it builds no values and only walks the grammar far enough to
/// report the first offending byte. Callers use it after Foundation has refused a text, so
/// what is accepted stays Foundation's decision.
struct JSONSyntaxScan {
    /// Where and why the text is not JSON.
    struct Failure: Equatable {
        /// Byte offset of the offending byte (the text's length at an early end).
        var offset: Int
        var message: String
    }

    private let bytes: [UInt8]
    private var i = 0

    /// The first syntax error of `bytes`, nil when they are one JSON value.
    static func firstError(in bytes: [UInt8]) -> Failure? {
        var scan = JSONSyntaxScan(bytes: bytes)
        do throws(Failure) {
            scan.skipSpace()
            try scan.value()
            scan.skipSpace()
            if scan.i < bytes.count { throw scan.failure("unexpected \(scan.shown) after the end of the JSON value") }
            return nil
        } catch {
            return error
        }
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    /// The current byte as a message shows it.
    private var shown: String {
        guard i < bytes.count else { return "end of file" }
        let b = bytes[i]
        return b >= 0x20 && b < 0x7F ? "'\(Character(Unicode.Scalar(b)))'" : "byte 0x" + String(b, radix: 16, uppercase: true)
    }

    private func failure(_ message: String) -> Failure { Failure(offset: i, message: message) }

    private mutating func skipSpace() {
        while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws(Failure) {
        guard i < bytes.count, bytes[i] == byte else { throw failure("expected \(what), found \(shown)") }
        i += 1
    }

    private mutating func value() throws(Failure) {
        guard i < bytes.count else { throw failure("expected a value, found end of file") }
        switch bytes[i] {
        case UInt8(ascii: "{"): try object()
        case UInt8(ascii: "["): try array()
        case UInt8(ascii: "\""): try string()
        case UInt8(ascii: "-"), UInt8(ascii: "0") ... UInt8(ascii: "9"): try number()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default: throw failure("expected a value, found \(shown)")
        }
    }

    private mutating func object() throws(Failure) {
        i += 1
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return }
        while true {
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw failure("expected a key in quotes, found \(shown)") }
            try string()
            skipSpace()
            try expect(UInt8(ascii: ":"), "':' after the key")
            skipSpace()
            try value()
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            try expect(UInt8(ascii: "}"), "',' or '}'")
            return
        }
    }

    private mutating func array() throws(Failure) {
        i += 1
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return }
        while true {
            skipSpace()
            try value()
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            try expect(UInt8(ascii: "]"), "',' or ']'")
            return
        }
    }

    private mutating func string() throws(Failure) {
        let start = i
        i += 1
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") { i += 1; return }
            if b < 0x20 { throw failure("control character in a string (a line break inside quotes?)") }
            if b == UInt8(ascii: "\\") {
                i += 1
                guard i < bytes.count, Array("\"\\/bfnrtu".utf8).contains(bytes[i]) else { throw failure("invalid escape in a string") }
                if bytes[i] == UInt8(ascii: "u") {
                    for _ in 0 ..< 4 {
                        i += 1
                        guard i < bytes.count, bytes[i].isHexDigit else { throw failure("expected 4 hex digits after \\u") }
                    }
                }
            }
            i += 1
        }
        i = start
        throw failure("string is not closed before the end of the file")
    }

    private mutating func number() throws(Failure) {
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard i < bytes.count, bytes[i].isDigit else { throw failure("expected a digit, found \(shown)") }
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
            if i < bytes.count, bytes[i].isDigit { throw failure("number with a leading zero") }
        } else {
            while i < bytes.count, bytes[i].isDigit { i += 1 }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard i < bytes.count, bytes[i].isDigit else { throw failure("expected a digit after '.', found \(shown)") }
            while i < bytes.count, bytes[i].isDigit { i += 1 }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard i < bytes.count, bytes[i].isDigit else { throw failure("expected a digit in the exponent, found \(shown)") }
            while i < bytes.count, bytes[i].isDigit { i += 1 }
        }
    }

    private mutating func literal(_ word: String) throws(Failure) {
        for expected in word.utf8 {
            guard i < bytes.count, bytes[i] == expected else { throw failure("expected \(word), found \(shown)") }
            i += 1
        }
    }
}

extension JSONSyntaxScan.Failure: Error {}

private extension UInt8 {
    var isDigit: Bool { self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9") }
    var isHexDigit: Bool { isDigit || (self | 0x20 >= UInt8(ascii: "a") && self | 0x20 <= UInt8(ascii: "f")) }
}
