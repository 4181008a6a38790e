import TxfCore
import TxfDist
import TxfModel

/// Sums the gradient buffer over all ranks, sending the word-embedding gradient as the rows
/// any rank touched rather than as the dense [V, D] table.
///
/// A batch of 32 SST-2 sentences touches a few hundred of BERT's 30,522 vocabulary rows; every
/// other row of a rank's word-embedding gradient is exactly zero, yet it is 47 MB of MiniLM's
/// 87 MB gradient. Here each rank marks its rows with a nonzero element, the marks are summed
/// (one [V] all-reduce, 120 KB), the union's rows are packed, summed and unpacked, and the rest
/// of the buffer is summed densely. Every rank ends with the same buffer the dense all-reduce
/// gives: a row left out is zero on every rank, and a row sent is summed over every rank.
/// (Marking by nonzero is exact: a row whose entries all cancel to zero contributes nothing.)
///
/// Holds its scratch buffers, so a step allocates nothing. Falls back to one dense all-reduce
/// when the word embeddings are frozen (LoRA) or not first in the gradient layout.
public final class GradientAllReduce {
    /// Word-embedding rows V and width D, or nil when the dense path is used.
    let rows: Int, width: Int
    let sparse: Bool
    /// [V] how many ranks touched each row (small integers, exact in Float).
    private let marks: FloatBuffer
    /// [V, D] packed rows of the union (at most V).
    private let packed: FloatBuffer
    /// [V] indices of the union's rows.
    private let union: UnsafeMutablePointer<Int>

    /// Rows reduced in the last call (for reports), or nil after a dense call.
    public private(set) var lastRowCount: Int?

    public init(table: ParameterTable) {
        let word = table["embeddings.word_embeddings.weight"]
        if let word, word.trainable, word.offset == 0, word.shape.count == 2 {
            rows = word.shape[0]
            width = word.shape[1]
            sparse = true
        } else {
            rows = 0
            width = 0
            sparse = false
        }
        marks = FloatBuffer(count: rows)
        packed = FloatBuffer(count: rows * width)
        union = .allocate(capacity: max(rows, 1))
    }

    deinit { union.deallocate() }

    /// Sums `gradients` (the trainable prefix of the layout `table` described) over all ranks.
    public func callAsFunction(_ gradients: FloatBuffer, communicator: any Communicator) {
        guard sparse, communicator.worldSize > 1 else {
            lastRowCount = nil
            communicator.allReduceSum(gradients.buffer)
            return
        }
        let g = gradients.pointer, d = width
        // Mark the rows this rank touched, and learn every rank's.
        for r in 0 ..< rows {
            let row = g + r * d
            var any = false
            for i in 0 ..< d where row[i] != 0 { any = true; break }
            marks[r] = any ? 1 : 0
        }
        communicator.allReduceSum(marks.buffer)
        var count = 0
        for r in 0 ..< rows where marks[r] != 0 {
            union[count] = r
            (packed.pointer + count * d).update(from: g + r * d, count: d)
            count += 1
        }
        lastRowCount = count
        // The union's rows, then everything after the word embeddings.
        communicator.allReduceSum(UnsafeMutableBufferPointer(start: packed.pointer, count: count * d))
        for j in 0 ..< count { (g + union[j] * d).update(from: packed.pointer + j * d, count: d) }
        let rest = rows * d
        communicator.allReduceSum(UnsafeMutableBufferPointer(start: g + rest, count: gradients.count - rest))
    }
}
