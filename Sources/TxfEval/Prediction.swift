import Foundation
import TxfCore
import TxfMatmul
import TxfModel
import TxfStore
import TxfText

/// One text's (or sentence pair's) prediction: a class (a classifier) or a score (a regression model).
public struct Prediction: Sendable, Equatable {
    public let text: String
    /// The pair's second text, nil for a single sentence.
    public var pair: String? = nil
    /// Index of the most probable class (0 for a regression model, which has one output).
    public let labelIndex: Int
    /// Its name (the model's label names, or `LABEL_<i>`).
    public let label: String
    /// Softmax of the logits, [numLabels]; empty for a regression model (a softmax of one
    /// logit is always 1, no probability).
    public let probabilities: [Float]
    /// [numLabels].
    public let logits: [Float]
    /// Token ids the model saw ([CLS] … [SEP], or [CLS] a [SEP] b [SEP] for a pair, truncated to
    /// the model's max length).
    public let tokenIds: [Int32]
    /// A regression model's prediction, its one logit (transformers' `logits[0]`); nil for a
    /// classifier.
    public var score: Float? = nil
    /// For a pair, where b starts in `tokenIds` (token type 1 from there on); nil for a single sentence.
    public var pairStart: Int? = nil

    /// The token type ids the model saw, [tokenIds.count]: all 0 for a single sentence.
    public var tokenTypeIds: [Int32] { PairEncoding.typeIds(count: tokenIds.count, pairStart: pairStart ?? tokenIds.count) }
}

/// Runs a stored model on raw texts or sentence pairs: tokenizes with the model's own vocab and casing (stored in
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
        try predict(texts.map { (text: $0, pair: String?.none) })
    }

    /// Predictions for single sentences (`pair` nil) and sentence pairs, in order: a pair is
    /// encoded `[CLS] text [SEP] pair [SEP]` with token types 0 then 1, cut to `maxLength`
    /// longest side first, as Hugging Face's tokenizers do.
    public func predict(_ inputs: [(text: String, pair: String?)]) throws -> [Prediction] {
        let names = stored.labelNamesOrDefault
        // A single sentence's pairStart is past every position: all its token types are 0.
        let encoded = inputs.map { input -> PairEncoding in
            input.pair.map { tokenizer.encodePair(input.text, $0, maxLength: maxLength) }
                ?? PairEncoding(ids: tokenizer.encode(input.text, maxLength: maxLength), pairStart: Int.max)
        }
        let model = try model(seqLen: encoded.map(\.ids.count).max() ?? 1)
        let classes = model.config.numLabels
        var out: [Prediction] = []
        out.reserveCapacity(inputs.count)
        var start = 0
        while start < inputs.count {
            let end = min(start + batchSize, inputs.count)
            var batch = MicroBatch(rows: encoded[start ..< end].map(\.ids), labels: nil, padID: tokenizer.vocabulary.padId)
            let width = batch.seqLen
            if inputs[start ..< end].contains(where: { $0.pair != nil }) {
                batch.tokenTypes = encoded[start ..< end].flatMap {
                    PairEncoding.typeIds(count: $0.ids.count, pairStart: $0.pairStart) + Array(repeating: 0, count: width - $0.ids.count)
                }
            }
            model.forward(batch, mode: .eval)
            for b in 0 ..< end - start {
                let input = inputs[start + b], encoding = encoded[start + b]
                let pairStart = input.pair == nil ? nil : encoding.pairStart
                if model.config.task == .regression {
                    let score = model.score(row: b)
                    out.append(Prediction(text: input.text, pair: input.pair, labelIndex: 0, label: names[0], probabilities: [],
                                          logits: [score], tokenIds: encoding.ids, score: score, pairStart: pairStart))
                    continue
                }
                let best = model.predictedClass(row: b)
                out.append(Prediction(text: input.text, pair: input.pair, labelIndex: best, label: names[best],
                                      probabilities: model.classProbabilities(row: b),
                                      logits: Array(model.logits[b * classes ..< (b + 1) * classes]), tokenIds: encoding.ids,
                                      pairStart: pairStart))
            }
            start = end
        }
        return out
    }
}

extension Prediction {
    /// One JSON object: `text` (and `text_pair` for a pair), `label`, `probabilities`, `logits`;
    /// a regression model's: `text`, `score`, `logits`.
    public func json() -> String {
        var object: [String: Any] = ["text": text, "logits": logits.map(Double.init)]
        if let score {
            object["score"] = Double(score)
        } else {
            object["label"] = label
            object["probabilities"] = probabilities.map(Double.init)
        }
        if let pair { object["text_pair"] = pair }
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}
