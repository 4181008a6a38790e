import Foundation
import Testing
import TxfCore
@testable import TxfData

@Suite("Text record readers")
struct TextRecordTests {
    /// Reads every record, turning row errors into "line: message" strings in order.
    private func readAll(_ path: String, _ format: InputFormat, _ columns: ColumnSelection = ColumnSelection()) throws -> [String] {
        let reader = try TextRecordReader(path: path, format: format, columns: columns)
        var out: [String] = []
        while true {
            do {
                guard let record = try reader.next() else { break }
                out.append("\(record.line)|\(record.text)|\(record.label ?? "nil")")
            } catch let error as RowError {
                out.append("\(error.line): \(error.message)")
            }
        }
        return out
    }

    @Test("TSV: header picks columns, CRLF and a trailing blank line are fine, bad rows are reported and skipped over")
    func tsv() throws {
        let dir = TemporaryDirectory()
        let path = dir.write("t.tsv", "id\tlabel\tsentence\r\n7\t1\ta fine film \r\n8\t0\n9\t0\tdull\t!\n10\t1\t\"quoted\" stays\n\n")
        #expect(try readAll(path, .tsv) == [
            "2|a fine film |1",
            "3: expected 3 columns, found 2",
            "4: expected 3 columns, found 4",
            "5|\"quoted\" stays|1",
        ])
    }

    @Test("TSV: invalid UTF-8 in the text is a row error naming the line")
    func invalidUTF8() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("bad.tsv")
        var bytes = Array("sentence\tlabel\nok\t1\n".utf8)
        bytes += [0x61, 0xFF, 0xFE, 0x09, 0x31, 0x0A]
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        #expect(try readAll(path, .tsv) == ["2|ok|1", "3: text is not valid UTF-8"])
    }

    @Test("a header without the text column is a fatal error listing the columns")
    func missingColumn() throws {
        let dir = TemporaryDirectory()
        let path = dir.write("h.tsv", "text\tlabel\nx\t1\n")
        #expect(throws: TxfError("\(path):1: no text column 'sentence' in the header (columns: text, label); use --text-column")) {
            _ = try TextRecordReader(path: path, format: .tsv, columns: ColumnSelection())
        }
    }

    @Test("CSV: quotes, doubled quotes, commas and newlines inside quoted fields (RFC 4180)")
    func csv() throws {
        let dir = TemporaryDirectory()
        let text = "stars,review\n1,\"Great, really \"\"great\"\"\"\n0,\"two\nlines\"\n2,plain\n3,\"x\"y\n4,\"never closed\n"
        let path = dir.write("r.csv", text)
        #expect(try readAll(path, .csv, ColumnSelection(text: "review", label: "stars")) == [
            "2|Great, really \"great\"|1",
            "3|two\nlines|0",
            "5|plain|2",
            "6: unexpected character after a closing quote in field 2",
            "7: quoted field is not closed before the end of the file",
        ])
    }

    @Test("CSV field splitting on hand-written records")
    func csvFields() {
        func fields(_ s: String) -> CSVRecord.Outcome { CSVRecord.parse(Array(s.utf8)) }
        #expect(fields("a,b,") == .fields([Array("a".utf8), Array("b".utf8), []]))
        #expect(fields("\"\"") == .fields([[]]))
        #expect(fields("x,\"a\"\"b\"") == .fields([Array("x".utf8), Array("a\"b".utf8)]))
        #expect(fields("x,\"open") == .openQuote)
        #expect(fields("") == .fields([[]]))
    }

    @Test("JSONL: string and integer labels, extra fields ignored, bad lines reported")
    func jsonl() throws {
        let dir = TemporaryDirectory()
        let path = dir.write("d.jsonl", """
        {"sentence": "a fine film", "label": 1, "id": 3}
        {"label": "0", "sentence": "dull"}
        not json
        {"sentence": 5, "label": 1}
        {"sentence": "no label"}
        [1, 2]
        {"sentence": "bool", "label": true}

        """)
        #expect(try readAll(path, .jsonl) == [
            "1|a fine film|1",
            "2|dull|0",
            "3: not a valid JSON object",
            "4: field \"sentence\" is not a string",
            "5: no \"label\" field (the line has \"sentence\")",
            "6: expected a JSON object",
            "7: field \"label\" is neither a string nor a number",
        ])
    }

    @Test("the reader's hash is the SHA-256 of the file's bytes")
    func hash() throws {
        let dir = TemporaryDirectory()
        // SHA-256("abc\n") computed with `printf 'abc\n' | sha256sum`.
        let path = dir.write("h.tsv", "abc\n")
        let reader = try TextRecordReader(path: path, format: .tsv, columns: ColumnSelection(text: "abc", label: nil))
        #expect(try reader.next() == nil)
        #expect(try reader.finishHash() == "edeaaff3f1774ad2888673770c6d64097e391bc362d7d6fb34982ddf0efd18cb")
    }

    @Test("label rule: integers, ranges from names or count, largest + 1 otherwise")
    func labels() throws {
        var open = LabelRule()
        #expect(try open.classId(of: " 2 ", line: 1) == 2)
        #expect(try open.classId(of: "0", line: 2) == 0)
        #expect(open.labelNames == ["0", "1", "2"])
        #expect(throws: RowError(line: 3, "label 'pos' is not an integer, but the labels before it are (line 1: '2'); give --label-names to map both")) { try open.classId(of: "pos", line: 3) }
        #expect(throws: RowError(line: 4, "label -1 is negative (labels are class ids 0, 1, ...)")) { try open.classId(of: "-1", line: 4) }
        var named = LabelRule(names: ["negative", "positive"])
        #expect(try named.classId(of: "1", line: 1) == 1)
        #expect(throws: RowError(line: 2, "label 2 is not in 0..<2 (--label-names gives 2)")) { try named.classId(of: "2", line: 2) }
        #expect(named.labelNames == ["negative", "positive"])
        var counted = LabelRule(classCount: 3)
        _ = try counted.classId(of: "0", line: 1)
        #expect(counted.labelNames == ["0", "1", "2"])
        #expect(throws: RowError(line: 2, "label 'pos' is not an integer (--num-labels takes class ids; give --label-names for text labels)")) {
            try counted.classId(of: "pos", line: 2)
        }
    }

    @Test("label rule: names match before integers, text labels are collected and sorted, a mix is an error")
    func textLabels() throws {
        var stars = LabelRule(names: ["1", "2", "3", "4", "5"])
        #expect(try stars.classId(of: "1", line: 1) == 0)
        #expect(try stars.classId(of: " 5 ", line: 2) == 4)
        #expect(try stars.classId(of: "0", line: 3) == 0)
        var glue = LabelRule(names: ["negative", "positive"])
        #expect(try glue.classId(of: "positive", line: 1) == 1)
        #expect(try glue.classId(of: "0", line: 2) == 0)
        var found = LabelRule()
        #expect(try found.classId(of: "neutral", line: 2) == 0)
        #expect(try found.classId(of: " entailment", line: 3) == 1)
        #expect(try found.classId(of: "neutral", line: 4) == 0)
        #expect(try found.classId(of: "contradiction", line: 5) == 2)
        #expect(found.namesFromData)
        #expect(found.labelNames == ["contradiction", "entailment", "neutral"])
        #expect(found.finalIds == [2, 1, 0])
        #expect(throws: RowError(line: 6, "label '1' is an integer, but the labels before it are text (line 2: 'neutral'); give --label-names to map both")) {
            try found.classId(of: "1", line: 6)
        }
        #expect(LabelRule().finalIds == nil)
    }
}
