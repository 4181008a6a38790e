import TxfCore
import Foundation

/// A WordPiece vocabulary: vocab.txt, one token per line, the line number (from 0) is the id.
///
/// Read exactly as Hugging Face's `load_vocab` reads it (Python text mode, UTF-8): lines end at
/// `\n`, `\r\n` or `\r`; only the line ending is removed (other whitespace stays part of the
/// token); an empty line is a token too. When a token repeats, the later id wins for lookup and
/// the earlier id decodes as [UNK], as in HF. Tokens are keyed by their scalars, not by Swift
/// `String` (which would equate canonically equivalent tokens that Python keeps apart).
public struct Vocabulary: Sendable {
    /// The special tokens BERT uses, in HF's `all_special_tokens` order.
    public static let specialTokens = ["[UNK]", "[SEP]", "[PAD]", "[CLS]", "[MASK]"]

    /// Token text by id; nil for an id shadowed by a later duplicate.
    private let tokenById: [String?]
    /// Id by the token's scalar values.
    private let idByScalars: [[UInt32]: Int32]

    /// Number of ids (lines of vocab.txt).
    public var count: Int { tokenById.count }
    /// Scalars in the longest token (a bound for longest-match search).
    public let longestToken: Int

    public let padId: Int32
    public let unkId: Int32
    public let clsId: Int32
    public let sepId: Int32
    public let maskId: Int32

    /// SHA-256 of the vocab file's bytes (hex); of the UTF-8 joined lines when built in memory.
    public let sha256: String

    /// Loads vocab.txt. Throws when the file is unreadable, not UTF-8, or lacks one of the five
    /// special tokens.
    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TxfError("cannot read vocab file \(path)")
        }
        let bytes = [UInt8](data)
        var lines: [String] = []
        var current = String.UnicodeScalarView()
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var afterCR = false
        decoding: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let s):
                if s == "\n" && afterCR { afterCR = false; continue }  // the \n of \r\n
                afterCR = s == "\r"
                if s == "\n" || s == "\r" {
                    lines.append(String(current))
                    current = String.UnicodeScalarView()
                } else {
                    current.append(s)
                }
            case .emptyInput:
                break decoding
            case .error:
                throw TxfError("vocab file \(path) is not valid UTF-8 (line \(lines.count + 1))")
            }
        }
        if !current.isEmpty { lines.append(String(current)) }
        try self.init(tokens: lines, sha256: SHA256.hex(of: bytes), source: path)
    }

    /// A vocabulary from tokens in id order (what vocab.txt would hold, one per line).
    public init(tokens: [String]) throws {
        var h = SHA256()
        for t in tokens { h.update(utf8: t); h.update(utf8: "\n") }
        try self.init(tokens: tokens, sha256: h.finalizeHex(), source: "the vocabulary")
    }

    private init(tokens: [String], sha256: String, source: String) throws {
        var ids: [[UInt32]: Int32] = [:]
        ids.reserveCapacity(tokens.count)
        var longest = 0
        for (i, t) in tokens.enumerated() {
            let key = t.unicodeScalars.map(\.value)
            ids[key] = Int32(i)
            longest = max(longest, key.count)
        }
        tokenById = tokens.enumerated().map { i, t in ids[t.unicodeScalars.map(\.value)] == Int32(i) ? t : nil }
        idByScalars = ids
        longestToken = longest
        self.sha256 = sha256
        func special(_ name: String) throws -> Int32 {
            guard let id = ids[name.unicodeScalars.map(\.value)] else {
                throw TxfError("\(source) has no \(name) token (a BERT vocab needs [PAD] [UNK] [CLS] [SEP] [MASK])")
            }
            return id
        }
        padId = try special("[PAD]")
        unkId = try special("[UNK]")
        clsId = try special("[CLS]")
        sepId = try special("[SEP]")
        maskId = try special("[MASK]")
    }

    /// The id of a token given as scalar values, or nil.
    @inline(__always)
    public func id(scalars: [UInt32]) -> Int32? { idByScalars[scalars] }

    /// The id of a token (compared scalar by scalar), or nil.
    public func id(for token: String) -> Int32? { idByScalars[token.unicodeScalars.map(\.value)] }

    /// The token for an id; "[UNK]" for an id out of range or shadowed by a duplicate (HF's rule).
    public func token(for id: Int32) -> String {
        guard id >= 0, Int(id) < tokenById.count, let t = tokenById[Int(id)] else { return "[UNK]" }
        return t
    }

    /// The token for an id; nil for an id out of range or shadowed by a duplicate (`tokenizers`
    /// has no token for such an id, and its decoder skips it).
    public func knownToken(for id: Int32) -> String? {
        guard id >= 0, Int(id) < tokenById.count else { return nil }
        return tokenById[Int(id)]
    }

    /// The ids of the special tokens, keyed by their text.
    public var specialIds: [String: Int32] {
        ["[PAD]": padId, "[UNK]": unkId, "[CLS]": clsId, "[SEP]": sepId, "[MASK]": maskId]
    }
}
