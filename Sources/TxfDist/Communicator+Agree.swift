import Foundation
import TxfCore

extension Communicator {
    /// Checks that every rank holds the same `value`; if not, every rank throws the same
    /// `CollectiveError`.
    ///
    /// Ranks all-gather a 64-bit FNV-1a hash and the length of their value; when they differ,
    /// they gather the values themselves (up to 64 KiB each) so the error can show what differs:
    /// `ranks disagree on dataset fingerprint: ranks 0, 1, 3 have "9f8e…", rank 2 has "1a2b…"`.
    /// Long values show an excerpt around the first differing byte: ``rank 2 has `…"lr": 0.002,
    /// "steps": 10}` at byte 137 of 152``; raw bytes show their hash and length. Out of
    /// `Job.run` the message is printed once (by rank 0) and every rank exits non-zero.
    /// - Parameters:
    ///   - what: what the value is, for the message ("config", "dataset fingerprint").
    ///   - value: this rank's value; text is shown quoted in the message.
    ///   - namingHosts: name each group's hosts too (`ranks 0, 1 (host node-a) have …`), for
    ///     values read from each host's own copy of a file.
    public func agree(_ what: String, _ value: String, namingHosts: Bool = false) throws {
        try agree(what, bytes: Array(value.utf8), isText: true, namingHosts: namingHosts)
    }

    /// `agree` on raw bytes: a mismatch names the ranks and shows hashes and lengths.
    public func agree(_ what: String, bytes: [UInt8]) throws {
        try agree(what, bytes: bytes, isText: false)
    }

    /// `agree` on a value's JSON encoding (keys sorted, so field order cannot differ).
    public func agree<T: Encodable>(_ what: String, encoding value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data: Data
        do { data = try encoder.encode(value) } catch {
            abort("cannot encode \(what) to compare across ranks: \(error)")
        }
        try agree(what, bytes: Array(data), isText: true)
    }

    private func agree(_ what: String, bytes: [UInt8], isText: Bool, namingHosts: Bool = false) throws {
        var record = [UInt8]()
        withUnsafeBytes(of: fnv1a64(bytes).littleEndian) { record += $0 }
        withUnsafeBytes(of: UInt64(bytes.count).littleEndian) { record += $0 }
        let records = allGather(record)
        if Set(records).count == 1 { return }
        let summaries = records.map { record in
            record.withUnsafeBytes { raw in
                (hash: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
                 length: Int(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))))
            }
        }
        let values = allGather(Array(bytes.prefix(Agreement.shownLimit)))
        let message = Agreement.mismatchMessage(
            what: what, hashes: summaries.map(\.hash), lengths: summaries.map(\.length),
            values: values, isText: isText, hosts: namingHosts ? hosts : nil)
        throw CollectiveError(message)
    }
}

/// 64-bit FNV-1a: a fast, dependency-free hash; enough to detect values that differ by accident.
public func fnv1a64(_ bytes: [UInt8]) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes {
        hash ^= UInt64(byte)
        hash = hash &* 0x0000_0100_0000_01b3
    }
    return hash
}

/// Formatting of agreement failures (pure, so tests can check messages without MPI).
enum Agreement {
    /// Bytes of each rank's value gathered on a mismatch to show what differs.
    static let shownLimit = 1 << 16
    /// Values up to this many bytes are shown whole; longer ones as an excerpt.
    static let wholeLimit = 64
    /// Bytes of context on each side of the first difference in an excerpt.
    static let context = 24

    /// One line naming `what` and each group of ranks with its value, rank 0's group first.
    /// - Parameters:
    ///   - hashes, lengths, values: [worldSize], values possibly truncated prefixes.
    ///   - hosts: [worldSize] each rank's host, to name after its group's ranks; nil: none.
    static func mismatchMessage(what: String, hashes: [UInt64], lengths: [Int],
                                values: [[UInt8]], isText: Bool, hosts: [String]? = nil) -> String {
        let groups = rankGroups(hashes).map { (hash: $0.key, ranks: $0.ranks) }
        let parts = groups.enumerated().map { index, group -> String in
            let first = group.ranks[0]
            let other = groups[index == 0 ? 1 : 0].ranks[0]
            let on = hosts.map { hosts in
                let names = rankGroups(group.ranks.map { $0 < hosts.count ? hosts[$0] : "?" }).map(\.key)
                return " (host\(names.count == 1 ? "" : "s") \(names.joined(separator: ", ")))"
            } ?? ""
            let who = group.ranks.count == 1
                ? "rank \(first)\(on) has"
                : "ranks \(group.ranks.map(String.init).joined(separator: ", "))\(on) have"
            let shown = describe(values[first], length: lengths[first], hash: group.hash,
                                 comparedWith: values[other], isText: isText)
            return "\(who) \(shown)"
        }
        return "ranks disagree on \(what): " + parts.joined(separator: ", ")
    }

    /// A value for the message: quoted whole when short text, an excerpt around the first
    /// difference from `other` when long text, else its hash and length.
    static func describe(_ value: [UInt8], length: Int, hash: UInt64,
                         comparedWith other: [UInt8], isText: Bool) -> String {
        if isText && length <= wholeLimit && value.count == length {
            return "\"\(visible(String(decoding: value, as: UTF8.self)))\""
        }
        let hex = String(hash, radix: 16)
        let summary = "hash \(String(repeating: "0", count: 16 - hex.count))\(hex), \(length) bytes"
        guard isText else { return summary }
        let common = zip(value, other).prefix { $0 == $1 }.count
        // The difference lies beyond the gathered prefixes: only the hash can tell them apart.
        guard common < value.count || common < other.count else { return summary }
        let start = max(0, common - context)
        let end = min(value.count, common + context)
        let excerpt = visible(String(decoding: value[start..<end], as: UTF8.self))
        return "`\(start > 0 ? "…" : "")\(excerpt)\(end < length ? "…" : "")` at byte \(common) of \(length)"
    }

    /// Text with control characters escaped, so a value stays on the message's one line.
    static func visible(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f {
                    result += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result
    }
}

/// The ranks grouped by equal `keys[rank]`, groups in the order of their lowest rank (for
/// messages naming which ranks hold what).
func rankGroups<Key: Equatable>(_ keys: [Key]) -> [(key: Key, ranks: [Int])] {
    var groups: [(key: Key, ranks: [Int])] = []
    for (rank, key) in keys.enumerated() {
        if let index = groups.firstIndex(where: { $0.key == key }) {
            groups[index].ranks.append(rank)
        } else {
            groups.append((key, [rank]))
        }
    }
    return groups
}
