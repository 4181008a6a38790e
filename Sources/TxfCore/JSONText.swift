import Foundation

/// A JSON string literal for `text`: quotes, backslashes and control characters escaped
/// (RFC 8259 §7), everything else as is. For files written by hand-built JSON (metrics lines,
/// safetensors headers), where key order and number formatting must be ours.
public func jsonStringLiteral(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20:
            let hex = String(scalar.value, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}

/// The number a JSONSerialization value holds, nil for anything else. JSON true/false also
/// arrive as NSNumber (and `is Bool` holds for every NSNumber on Linux, 0 and 1 included);
/// booleans are the ones whose Objective-C type is "c".
public func jsonNumber(_ value: Any?) -> NSNumber? {
    guard let number = value as? NSNumber, String(cString: number.objCType) != "c" else { return nil }
    return number
}
