/// RFC 4180 field splitting for one CSV record.
///
/// Fields are separated by `,`. A field that starts with `"` is quoted: it ends at a `"` not
/// followed by another `"`, `""` inside stands for one `"`, and commas and newlines inside are
/// data. After a closing quote only `,` or the end of the record may follow. A `"` inside an
/// unquoted field is kept as a literal character (common in hand-written files, harmless).
enum CSVRecord {
    enum Outcome: Equatable {
        case fields([[UInt8]])
        /// The record ends inside a quoted field: append the next line and parse again.
        case openQuote
        case malformed(String)
    }

    static func parse(_ record: [UInt8]) -> Outcome {
        let quote: UInt8 = 0x22, comma: UInt8 = 0x2C
        var fields: [[UInt8]] = []
        var field: [UInt8] = []
        var i = 0
        let n = record.count
        while true {
            field.removeAll(keepingCapacity: true)
            if i < n && record[i] == quote {
                i += 1
                var closed = false
                while i < n {
                    if record[i] == quote {
                        if i + 1 < n && record[i + 1] == quote {
                            field.append(quote)
                            i += 2
                        } else {
                            i += 1
                            closed = true
                            break
                        }
                    } else {
                        field.append(record[i])
                        i += 1
                    }
                }
                if !closed { return .openQuote }
                if i < n && record[i] != comma {
                    return .malformed("unexpected character after a closing quote in field \(fields.count + 1)")
                }
            } else {
                while i < n && record[i] != comma {
                    field.append(record[i])
                    i += 1
                }
            }
            fields.append(field)
            if i >= n { return .fields(fields) }
            i += 1  // the comma; a record ending in "," has one more, empty, field
        }
    }
}
