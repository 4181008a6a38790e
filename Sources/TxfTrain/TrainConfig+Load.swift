import Foundation
import TxfCore

extension TrainConfig {
    /// Decodes a JSON config file; every error names the file, and the line and column where
    /// they are known: `bad.json:3:14: expected ',' or '}', found '"'`.
    ///
    /// Syntax errors are located by `JSONSyntaxScan` (Foundation's parser on Linux gives at
    /// most a byte offset, and none for some errors); a wrong-typed value or an unknown key
    /// points at the key's first `"key":` in the file (a config is one flat object).
    public static func load(path: String) throws -> TrainConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TxfError("cannot read config file \(path)")
        }
        let text = ConfigText(path: path, bytes: [UInt8](data))
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data) } catch {
            if let failure = JSONSyntaxScan.firstError(in: text.bytes) {
                throw TxfError("\(text.position(failure.offset)): \(failure.message)")
            }
            throw TxfError("\(path): not valid JSON (\((error as NSError).userInfo[NSDebugDescriptionErrorKey] ?? error))")
        }
        guard let keys = (object as? [String: Any]).map({ Array($0.keys) }) else {
            throw TxfError("\(path): a config is one JSON object {\"key\": value, ...}")
        }
        let known = Set(TrainSetting.all.map(\.key))
        let unknown = keys.filter { !known.contains($0) }.min { (text.locate($0)?.key ?? 0) < (text.locate($1)?.key ?? 0) }
        if let unknown {
            throw TxfError("\(text.locate(unknown).map { text.position($0.key) } ?? path): \(unknownKeyMessage(unknown))")
        }
        do {
            return try JSONDecoder().decode(TrainConfig.self, from: data)
        } catch let error as TxfError {
            throw TxfError("\(path): \(error.message)")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let key = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw TxfError("\(text.position(ofKey: key)): wrong type for \"\(key)\": \(context.debugDescription)")
        } catch let DecodingError.dataCorrupted(context) {
            let key = context.codingPath.map(\.stringValue).joined(separator: ".")
            let place = key.isEmpty ? path : text.position(ofKey: key)
            throw TxfError("\(place): invalid value\(key.isEmpty ? "" : " for \"\(key)\""): \(context.debugDescription)")
        } catch {
            throw TxfError("\(path): not a valid config (\(error))")
        }
    }
}

/// A config file's bytes, for turning offsets into "path:line:column".
private struct ConfigText {
    let path: String
    let bytes: [UInt8]

    /// "path:line:column" of byte `offset`; both 1-based, the column in characters.
    func position(_ offset: Int) -> String {
        let end = min(offset, bytes.count)
        let lineStart = bytes[..<end].lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
        let line = bytes[..<lineStart].reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
        let column = String(decoding: bytes[lineStart ..< end], as: UTF8.self).count + 1
        return "\(path):\(line):\(column)"
    }

    /// "path:line:column" of `key`'s value, or the path alone when the key is not found.
    func position(ofKey key: String) -> String {
        locate(key).map { position($0.value) } ?? path
    }

    /// Byte offsets of the first `"key"` followed by `:`, and of the value after it.
    func locate(_ key: String) -> (key: Int, value: Int)? {
        let quoted = Array("\"\(key)\"".utf8)
        var start = 0
        while let hit = bytes[start...].firstRange(of: quoted) {
            var i = skipSpace(from: hit.upperBound)
            if i < bytes.count, bytes[i] == UInt8(ascii: ":") {
                i = skipSpace(from: i + 1)
                return (hit.lowerBound, i)
            }
            start = hit.upperBound
        }
        return nil
    }

    private func skipSpace(from start: Int) -> Int {
        var i = start
        while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
        return i
    }
}
