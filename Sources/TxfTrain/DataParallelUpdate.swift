import TxfCore
import TxfDist
import TxfModel

/// The end of an optimizer step on W ranks, after every rank has accumulated its gradient:
/// sum the gradients, take their global norm, AdamW, and leave every rank the same parameters,
/// with the optimizer sharded as ZeRO stage 1 does.
///
/// Each rank owns about 1/W of the trainable floats (`ShardLayout`) and keeps the AdamW moments
/// up to date only there, so the memory-bound update — the largest cost of a step after the
/// GEMMs, and the same work on every rank when unsharded — is split W ways:
///
/// 1. `sumGradients`: the word-embedding gradient goes as the rows any rank touched (a batch of
///    32 SST-2 sentences touches a few hundred of BERT's 30,522 rows; the rest of the 47 MB
///    table is exactly zero on every rank): the rows are marked, the marks summed (120 KB), the
///    union's rows packed, all-reduced and unpacked, so every rank holds the summed table.
///    Everything after it is reduce-scattered: each rank gets the sum of its own floats only.
/// 2. `gradientNorm`: ‖g‖₂ from each rank's owned floats, one all-reduce of a Double.
/// 3. `update`: AdamW on the owned floats.
/// 4. `gatherParameters`: every rank's owned parameters to every rank (all-gather; in the
///    bf16 precisions, `MasterWeights` gathers their bf16 roundings instead).
///
/// Per step this moves what one all-reduce of the dense gradient moves (a reduce-scatter plus
/// an all-gather), and the result on each float is the one an unsharded AdamW on the summed
/// gradient gives (the norm differs only in summation order). `gatherMoments` brings the
/// moments together before a checkpoint is written. With one rank every step is local and the
/// norm is the plain sum over the buffer.
///
/// The word embeddings go as rows only when they are trainable and first in the layout (full
/// fine-tuning); otherwise the whole gradient is one reduce-scatter. Scratch buffers are held,
/// so a step allocates nothing.
public final class DataParallelUpdate {
    let communicator: any Communicator
    /// Trainable floats (the gradient and moment buffers' length).
    let count: Int
    /// Word-embedding rows V and width D when they go as rows; 0 otherwise.
    let rows: Int, width: Int
    /// Ownership of the word-embedding table [0, V·D) and of the rest [V·D, count).
    let wordLayout: ShardLayout, restLayout: ShardLayout
    /// This rank's floats, in buffer order.
    let owned: [Range<Int>]
    /// The optimizer's segments cut to this rank's floats.
    let ownedSegments: [ParameterSegment]
    /// [V, D] packed rows of the union (at most V).
    private let packed: FloatBuffer
    /// [V] indices of the union's rows.
    private let union: UnsafeMutablePointer<Int>
    private var partial = [0.0]
    /// The union's marks after the last `sumGradients` (nil when the word rows went densely).
    private var unionMarks: FloatBuffer?

    /// Word-embedding rows summed in the last `sumGradients`, or nil when they went densely.
    public private(set) var lastRowCount: Int?

    /// - Parameters:
    ///   - denseWordEmbeddings: reduce-scatter the word embeddings like everything else (for
    ///     comparison in `txf bench`).
    ///   - chunkElements: floats per reduce-scatter / all-gather call (`ShardLayout`).
    public init(table: ParameterTable, communicator: any Communicator, denseWordEmbeddings: Bool = false,
                chunkElements: Int = 1 << 21) {
        // Trainable tensors come first in the parameter buffer, at their gradients' offsets.
        let segments = ParameterSegment.coalesced(table.entries.filter(\.trainable).map {
            ParameterSegment(paramOffset: $0.offset, gradientOffset: $0.offset, count: $0.count, decays: $0.decays)
        })
        self.communicator = communicator
        count = table.trainableCount
        let world = communicator.worldSize
        let word = table["embeddings.word_embeddings.weight"]
        if let word, word.trainable, word.offset == 0, word.shape.count == 2, world > 1, !denseWordEmbeddings {
            rows = word.shape[0]
            width = word.shape[1]
        } else {
            rows = 0
            width = 0
        }
        wordLayout = ShardLayout(count: rows * width, worldSize: world, chunkElements: chunkElements)
        restLayout = ShardLayout(count: count - rows * width, worldSize: world, chunkElements: chunkElements)
        let rank = communicator.rank, rest = rows * width
        owned = world == 1 ? [0 ..< count]
            : wordLayout.ownedRanges(rank: rank) + restLayout.ownedRanges(rank: rank).map { $0.lowerBound + rest ..< $0.upperBound + rest }
        ownedSegments = owned.flatMap { range in
            segments.compactMap { s in
                let lower = max(range.lowerBound, s.gradientOffset), upper = min(range.upperBound, s.gradientOffset + s.count)
                return lower < upper ? ParameterSegment(paramOffset: lower, gradientOffset: lower, count: upper - lower, decays: s.decays) : nil
            }
        }
        packed = FloatBuffer(count: rows * width)
        union = .allocate(capacity: max(rows, 1))
    }

    deinit { union.deallocate() }

    /// Step 1: every rank's gradient summed, as each rank needs it (see the type's comment).
    ///
    /// - Parameter touchedRows: [V] the model's marks of the word rows its backward touched
    ///   (`BertClassifier.touchedWordRows`; empty when the table is frozen); summed over ranks
    ///   in place, so they then mark the union, every row this call may have written
    ///   (`TrainingStep` keeps that invariant).
    public func sumGradients(_ gradients: FloatBuffer, touchedRows: FloatBuffer) {
        sumWordRows(gradients, touchedRows: touchedRows)
        sumRest(gradients)
    }

    /// The word-embedding half of `sumGradients`: the union's rows all-reduced (or, when the
    /// table goes densely with the rest, every row marked).
    public func sumWordRows(_ gradients: FloatBuffer, touchedRows: FloatBuffer) {
        precondition(gradients.count == count)
        guard communicator.worldSize > 1 else { return }
        let g = gradients.pointer, d = width
        if rows == 0, touchedRows.count > 0 {
            // The word table is reduce-scattered with the rest: any of its rows may now be nonzero.
            touchedRows.buffer.update(repeating: 1)
        }
        if rows > 0 {
            // Every rank's marks: the union of the rows touched.
            precondition(touchedRows.count == rows, "touchedRows must have one mark per word row")
            unionMarks = touchedRows
            communicator.allReduceSum(touchedRows.buffer)
            var touched = 0
            for r in 0 ..< rows where touchedRows[r] != 0 {
                union[touched] = r
                (packed.pointer + touched * d).update(from: g + r * d, count: d)
                touched += 1
            }
            lastRowCount = touched
            communicator.allReduceSum(UnsafeMutableBufferPointer(start: packed.pointer, count: touched * d))
            for j in 0 ..< touched { (g + union[j] * d).update(from: packed.pointer + j * d, count: d) }
        } else {
            lastRowCount = nil
            unionMarks = nil
        }
    }

    /// The other half: [restStart, count) reduce-scattered by `restLayout`, chunk by chunk.
    public func sumRest(_ gradients: FloatBuffer) {
        precondition(gradients.count == count)
        guard communicator.worldSize > 1 else { return }
        communicator.reduceScatterSum(UnsafeMutableBufferPointer(start: gradients.pointer + restStart, count: count - restStart),
                                      layout: restLayout)
    }

    /// Where the reduce-scattered part of the gradient starts: after the word rows when they go
    /// as rows, else 0.
    var restStart: Int { rows * width }

    /// Step 2: ‖g‖₂ of the summed gradient, the same on every rank.
    public func gradientNorm(_ gradients: FloatBuffer) -> Double {
        let g = gradients.pointer
        var sum = 0.0
        for range in owned {
            guard let marks = unionMarks, range.lowerBound < rows * width else {
                sum += GradientClipping.sumOfSquares(g + range.lowerBound, count: range.count)
                continue
            }
            // Word rows no rank touched are zero on every rank: only the union's rows count.
            var start = range.lowerBound
            while start < range.upperBound {
                let row = start / width, end = min(range.upperBound, (row + 1) * width)
                if marks[row] != 0 { sum += GradientClipping.sumOfSquares(g + start, count: end - start) }
                start = end
            }
        }
        partial[0] = sum
        communicator.allReduceSum(&partial)
        return partial[0].squareRoot()
    }

    /// Step 3: AdamW on this rank's floats.
    public func update(_ optimizer: AdamW, params: FloatBuffer, gradients: FloatBuffer, m: FloatBuffer, v: FloatBuffer,
                       step: Int, learningRate: Float, gradientScale: Float) {
        optimizer.update(params: params.pointer, gradients: gradients.pointer, m: m.pointer, v: v.pointer,
                         segments: ownedSegments, step: step, learningRate: learningRate, gradientScale: gradientScale)
    }

    /// Step 4: every rank's updated parameters to every rank.
    public func gatherParameters(_ params: FloatBuffer) { gatherTrainable(params) }

    /// Every rank's AdamW moments to every rank (before a checkpoint is written).
    public func gatherMoments(m: FloatBuffer, v: FloatBuffer) {
        gatherTrainable(m)
        gatherTrainable(v)
    }

    /// All-gathers the trainable prefix [0, count) of `buffer` by this update's ownership.
    func gatherTrainable(_ buffer: FloatBuffer) {
        guard communicator.worldSize > 1 else { return }
        let rest = rows * width
        communicator.allGather(UnsafeMutableBufferPointer(start: buffer.pointer, count: rest), layout: wordLayout)
        communicator.allGather(UnsafeMutableBufferPointer(start: buffer.pointer + rest, count: count - rest), layout: restLayout)
    }

    /// The same for [count] 16-bit words (bf16 parameters, `MasterWeights`).
    func gatherTrainable(_ words: UnsafeMutablePointer<UInt16>) {
        guard communicator.worldSize > 1 else { return }
        let rest = rows * width
        communicator.allGather(UnsafeMutableBufferPointer(start: words, count: rest), layout: wordLayout)
        communicator.allGather(UnsafeMutableBufferPointer(start: words + rest, count: count - rest), layout: restLayout)
    }
}
