import TxfCore
import TxfData
import TxfDist
import TxfModel

/// A masked-LM model's evaluation numbers: over the tokens the evaluation masks pick
/// (`TokenMasking.evaluationKey`: by dataset row, so the same tokens at every evaluation and on
/// any number of ranks), how many there were and the share predicted exactly.
public struct MaskedLMMetrics: Sendable, Equatable {
    /// Picked tokens over the whole set.
    public var predictedTokens: Int
    /// Picked tokens whose arg-max prediction is the original, over `predictedTokens`.
    public var accuracy: Double
}

extension Evaluation {
    /// Evaluates a masked-LM `model` (dropout off) on `dataset`'s text (labels are not read):
    /// the mean cross-entropy per picked token and `MaskedLMMetrics`, with exact counts over
    /// ranks (rank r takes `rows(count:rank:worldSize:)`, sorted by length into batches).
    public static func maskedLMRecord(model: BertClassifier, dataset: TokenDataset, batchSize: Int,
                                      communicator: any Communicator, step: Int) throws -> EvalRecord {
        guard dataset.rowCount > 0 else { throw TxfError("\(dataset.path) has no rows; there is nothing to evaluate") }
        let block = rows(count: dataset.rowCount, rank: communicator.rank, worldSize: communicator.worldSize)
        let ordered = longestFirst(block, of: dataset)
        // [Σ loss, picked tokens, predicted right, rows]
        var totals = [0.0, 0.0, 0.0, 0.0]
        var batch = MicroBatch()
        for start in stride(from: 0, to: ordered.count, by: batchSize) {
            try dataset.readRows(Array(ordered[start ..< min(start + batchSize, ordered.count)]), into: &batch)
            totals[0] += model.forward(batch, mode: .eval)
            totals[1] += Double(model.predictedTokens)
            totals[2] += Double(model.correctPredictions)
            totals[3] += Double(batch.batchSize)
        }
        communicator.allReduceSum(&totals)
        precondition(Int(totals[3]) == dataset.rowCount, "evaluation counted \(Int(totals[3])) of \(dataset.rowCount) rows")
        let picks = totals[1]
        var record = EvalRecord(step: step, loss: picks > 0 ? totals[0] / picks : .nan, accuracy: picks > 0 ? totals[2] / picks : .nan,
                                f1: .nan, mcc: .nan, count: dataset.rowCount)
        record.maskedLM = MaskedLMMetrics(predictedTokens: Int(picks), accuracy: record.accuracy)
        return record
    }
}
