/// Which floats of a buffer each rank owns, for `reduceScatterSum` and `allGather`.
///
/// The buffer is cut into chunks of at most `chunkElements` floats; each chunk is cut into W
/// consecutive pieces, piece r owned by rank r (lengths multiples of 16 floats but the last).
/// One MPI call moves one chunk: Open MPI here moves 1–10 MB pieces faster per byte than one
/// large message (docs/ARCHITECTURE.md, "Measured facts"), and every rank still owns about 1/W of the buffer, spread
/// through it, so the work done on owned floats (AdamW) is balanced whatever the buffer holds.
///
///     count 10, 2 ranks, chunks of 8 (pieces rounded to 16 aside):
///     [ r0 r0 r0 r0 r1 r1 r1 r1 | r0 r1 ]
public struct ShardLayout: Sendable, Equatable {
    /// Floats in the buffer.
    public let count: Int
    public let worldSize: Int
    /// Floats per chunk but the last.
    public let chunkElements: Int
    /// Piece lengths of a full chunk and of the last chunk, [worldSize] each (Int32 for MPI).
    public let fullChunkCounts: [Int32]
    public let lastChunkCounts: [Int32]
    /// Where each piece starts within its chunk (MPI's displacements), [worldSize] each.
    public let fullChunkOffsets: [Int32]
    public let lastChunkOffsets: [Int32]

    /// Chunks of 8 MB (2²¹ floats) by default, the all-reduce's piece size.
    public init(count: Int, worldSize: Int, chunkElements: Int = 1 << 21) {
        precondition(count >= 0 && worldSize >= 1)
        self.count = count
        self.worldSize = worldSize
        self.chunkElements = max(chunkElements, 16 * worldSize)
        fullChunkCounts = ShardLayout.pieces(self.chunkElements, worldSize: worldSize)
        let tail = count % self.chunkElements
        lastChunkCounts = ShardLayout.pieces(tail == 0 ? min(count, self.chunkElements) : tail, worldSize: worldSize)
        func offsets(_ counts: [Int32]) -> [Int32] { counts.indices.map { counts[..<$0].reduce(0, +) } }
        fullChunkOffsets = offsets(fullChunkCounts)
        lastChunkOffsets = offsets(lastChunkCounts)
    }

    /// Number of chunks (0 for an empty buffer).
    public var chunkCount: Int { (count + chunkElements - 1) / chunkElements }

    /// Start of chunk `index`, and its pieces' lengths and offsets within it.
    public func chunk(_ index: Int) -> (start: Int, counts: [Int32], offsets: [Int32]) {
        index == chunkCount - 1 ? (index * chunkElements, lastChunkCounts, lastChunkOffsets)
            : (index * chunkElements, fullChunkCounts, fullChunkOffsets)
    }

    /// The ranges `rank` owns, in buffer order (empty pieces left out).
    public func ownedRanges(rank: Int) -> [Range<Int>] {
        (0 ..< chunkCount).compactMap { index in
            let (start, counts, offsets) = chunk(index)
            let offset = Int(offsets[rank]), length = Int(counts[rank])
            return length > 0 ? start + offset ..< start + offset + length : nil
        }
    }

    /// `n` floats split into W pieces as evenly as whole multiples of 16 allow, the last
    /// piece taking the remainder.
    static func pieces(_ n: Int, worldSize w: Int) -> [Int32] {
        let bounds = (0 ... w).map { r in r == w ? n : (n * r / w) & ~15 }
        return (0 ..< w).map { Int32(bounds[$0 + 1] - bounds[$0]) }
    }
}
