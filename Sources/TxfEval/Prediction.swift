import Foundation
import TxfCore
import TxfMatmul
import TxfModel
import TxfStore
import TxfText

/// One text's prediction: a class (a classifier) or a score (a regression model).
public struct Prediction: Sendable, Equatable {
    public let text: String
    /// Index of the most probable class (0 for a regression model, which has one output).
    public let labelIndex: Int
    /// Its name (the model's label names, or `LABEL_<i>`).
    public let label: String
    /// Softmax of the logits, [numLabels]; empty for a regression model (a softmax of one
    /// logit is always 1, no probability).
    public let probabilities: [Float]
    /// [numLabels].
    public let logits: [Float]
    /// Token ids the model saw ([CLS] … [SEP], truncated to the model's max length).
    public let tokenIds: [Int32]
    /// A regression model's prediction, its one logit (transformers' `logits[0]`); nil for a
    /// classifier.
    public var score: Float? = nil
}

/// Runs a stored model on raw texts: tokenizes with the model's own vocab and casing (stored in
/// every checkpoint and model file), truncates to its max length, and classifies in batches
/// with dropout off. A LoRA checkpoint is predicted through its merged weights (`StoredModel`).
public final class Predictor {
    public let stored: StoredModel
    public let tokenizer: BertTokenizer
    /// Tokens per text including [CLS] and [SEP]: the training data's max length when recorded,
    /// else the model's max_position_embeddings.
    public let maxLength: Int
    /// Texts per forward pass.
    public let batchSize: Int
    /// The engine of the model's products (`Precision.resolve`).
    public let matmul: MatmulMode
    /// The last model built, reused while its buffers are large enough.
    private var cached: BertClassifier?

    public init(stored: StoredModel, batchSize: Int = 32, matmul: MatmulMode = .openBLAS) throws {
        self.stored = stored
        self.matmul = matmul
        let vocabulary: Vocabulary
        do { vocabulary = try Vocabulary(tokens: stored.vocab) } catch {
            throw TxfError("\(stored.path): its vocab is not usable: \(error)")
        }
        tokenizer = BertTokenizer(vocabulary: vocabulary, lowercase: stored.lowercase)
        maxLength = stored.maxLength
        self.batchSize = max(1, batchSize)
    }

    /// Opens the model at `path`, refused first when it would not fit in memory
    /// (`ModelArchive.checkFits`).
    public convenience init(path: String, batchSize: Int = 32, matmul: MatmulMode = .openBLAS) throws {
        try ModelArchive.checkFits(path: path, maxBatch: max(1, batchSize), batchFlag: "--batch-size", workload: .inference)
        try self.init(stored: try StoredModel(path: path), batchSize: batchSize, matmul: matmul)
    }

    /// The stored model with activation buffers for `batchSize` rows of up to `seqLen` tokens
    /// (sized to the inputs, not to the model's 512 positions: attention buffers grow as S²),
    /// frozen (no gradient storage).
    public func model(seqLen: Int) throws -> BertClassifier {
        let s = max(1, min(seqLen, maxLength))
        if let cached, cached.maxSeqLen >= s { return cached }
        let model = try BertClassifier(config: stored.config, maxBatch: batchSize, maxSeqLen: s, trainable: { _ in false },
                                       matmul: matmul)
        for e in stored.table.entries { _ = model.parameter(e.name).update(from: stored.tensor(e.name)) }
        model.parametersDidChange()
        cached = model
        return model
    }

    /// Predictions for `texts`, in order; none for none.
    public func predict(_ texts: [String]) throws -> [Prediction] {
        let names = stored.labelNamesOrDefault
        let encoded = texts.map { tokenizer.encode($0, maxLength: maxLength) }
        let model = try model(seqLen: encoded.map(\.count).max() ?? 1)
        let classes = model.config.numLabels
        var out: [Prediction] = []
        out.reserveCapacity(texts.count)
        var start = 0
        while start < texts.count {
            let end = min(start + batchSize, texts.count)
            model.forward(MicroBatch(rows: Array(encoded[start ..< end]), labels: nil, padID: tokenizer.vocabulary.padId), mode: .eval)
            for b in 0 ..< end - start where model.config.task == .regression {
                let score = model.score(row: b)
                out.append(Prediction(text: texts[start + b], labelIndex: 0, label: names[0], probabilities: [],
                                      logits: [score], tokenIds: encoded[start + b], score: score))
            }
            for b in 0 ..< end - start where model.config.task == .classification {
                let best = model.predictedClass(row: b)
                out.append(Prediction(text: texts[start + b], labelIndex: best, label: names[best],
                                      probabilities: model.classProbabilities(row: b),
                                      logits: Array(model.logits[b * classes ..< (b + 1) * classes]), tokenIds: encoded[start + b]))
            }
            start = end
        }
        return out
    }
}

extension Prediction {
    /// One JSON object: `text`, `label`, `probabilities`, `logits` (what `txf predict --json`
    /// prints per line); a regression model's: `text`, `score`, `logits`.
    public func json() -> String {
        var object: [String: Any] = ["text": text, "logits": logits.map(Double.init)]
        if let score {
            object["score"] = Double(score)
        } else {
            object["label"] = label
            object["probabilities"] = probabilities.map(Double.init)
        }
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}
