import Foundation

/// One fenced code block of a Markdown file, as the README doc-test reads it.
///
/// A block tagged ```sh holds commands the doc-test runs; ```text holds output shown to the
/// reader. The line `<!-- doc-test: skip: REASON -->` right before a fence keeps that block
/// from running.
struct FencedBlock: Sendable {
    /// The Markdown file's name relative to the repository root (README.md, datasets/README.md).
    let file: String
    /// The 1-based line number of the opening fence.
    let fenceLine: Int
    /// The info string after the opening fence ("sh", "text", "" when there is none).
    let language: String
    /// The lines between the fences, as written.
    let lines: [String]
    /// The reason of a skip tag right before the fence: nil without a tag, "" for a tag without one.
    let skipReason: String?

    /// Where this block starts, for messages: "README.md:42".
    var location: String { "\(file):\(fenceLine)" }

    /// Whether the doc-test runs this block.
    var runs: Bool { language == "sh" && skipReason == nil }

    /// The commands of the block: lines joined across trailing backslashes, with the 1-based file
    /// line each starts on; blank lines and whole-line comments left out.
    var commands: [(line: Int, text: String)] {
        var result: [(line: Int, text: String)] = []
        var pending: (line: Int, text: String)?
        for (offset, raw) in lines.enumerated() {
            let line = fenceLine + 1 + offset
            var current = pending ?? (line, "")
            let continues = raw.hasSuffix("\\")
            current.text += (current.text.isEmpty ? "" : " ") + (continues ? String(raw.dropLast()) : raw)
                .trimmingCharacters(in: .whitespaces)
            if continues { pending = current; continue }
            pending = nil
            let text = current.text.trimmingCharacters(in: .whitespaces)
            if !text.isEmpty && !text.hasPrefix("#") { result.append((current.line, text)) }
        }
        if let pending { result.append(pending) }
        return result
    }
}

/// A problem with a Markdown file's blocks that the doc-test refuses.
struct MarkdownError: Error, CustomStringConvertible {
    let description: String
}

enum MarkdownBlocks {
    /// The tag that keeps the next block from running.
    static let skipPrefix = "<!-- doc-test: skip:"
    static let skipSuffix = "-->"

    /// The fenced blocks of `text` (the contents of `file`) in order.
    ///
    /// Throws for an unclosed fence and for a skip tag that is not right before a fence.
    static func parse(_ text: String, file: String) throws -> [FencedBlock] {
        let lines = text.components(separatedBy: "\n")
        var blocks: [FencedBlock] = []
        var index = 0
        while index < lines.count {
            let line = lines[index]
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix(skipPrefix) {
                let next = index + 1 < lines.count ? lines[index + 1] : ""
                guard next.hasPrefix("```") else {
                    throw MarkdownError(description: "\(file):\(index + 1): a doc-test skip tag must be right before a fence")
                }
            }
            guard line.hasPrefix("```") else { index += 1; continue }
            let language = String(line.dropFirst(3)).trimmingCharacters(in: .whitespaces)
            var body: [String] = []
            var end = index + 1
            while end < lines.count && !lines[end].hasPrefix("```") {
                body.append(lines[end])
                end += 1
            }
            guard end < lines.count else {
                throw MarkdownError(description: "\(file):\(index + 1): a fence that is never closed")
            }
            blocks.append(FencedBlock(file: file, fenceLine: index + 1, language: language, lines: body,
                                      skipReason: index > 0 ? skipReason(lines[index - 1]) : nil))
            index = end + 1
        }
        return blocks
    }

    /// The reason of a skip tag line, or nil when `line` is not one.
    static func skipReason(_ line: String) -> String? {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix(skipPrefix), trimmed.hasSuffix(skipSuffix) else { return nil }
        return String(trimmed.dropFirst(skipPrefix.count).dropLast(skipSuffix.count))
            .trimmingCharacters(in: .whitespaces)
    }
}
