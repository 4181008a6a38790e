import Foundation
import TxfCore

/// What a run of a model costs in memory, estimated from its sizes alone before anything is
/// allocated, so that an absurd size is refused with a message instead of trapping on an
/// integer overflow or growing memory until the system kills the process.
///
/// Every figure is a `Double`: sizes such as 2⁶² · hidden overflow `Int` but not a `Double`,
/// whose 53-bit mantissa is exact for every model that fits in memory. The buffers counted are
/// those the model and the trainer allocate (`BertClassifier`, `Activations`, `LoRAAdapters`,
/// AdamW's m and v); small ones (the engine's prepared weight copies, communication buffers)
/// are not, so the estimate is a lower bound.
public struct MemoryEstimate: Sendable, Equatable {
    /// What the process does with the model: which buffers besides the parameters it holds.
    public enum Workload: Sendable {
        /// Training: gradients and AdamW's two moments for every trainable element.
        case training
        /// Gradients of the trainable elements, no optimizer (`txf gradients`).
        case gradients
        /// Forward only, nothing trainable (`txf evaluate`, `txf predict`).
        case inference
    }

    /// Elements of the parameter buffer (`ParameterTable.totalCount`).
    public let parameters: Double
    /// Elements that get a gradient (`ParameterTable.trainableCount`) under the workload.
    public let trainable: Double
    /// Tensors of the parameter table (each costs a name, a shape and an index entry).
    public let tensors: Double
    public let parameterBytes: Double
    /// Gradient buffer, 4 bytes per trainable element.
    public let gradientBytes: Double
    /// AdamW's m and v, 8 bytes per trainable element.
    public let optimizerBytes: Double
    /// Activation, activation-gradient and mask buffers for the largest micro-batch.
    public let activationBytes: Double
    /// The parameter table and per-block pointer sets.
    public let bookkeepingBytes: Double

    /// Everything above, per process (per rank).
    public var totalBytes: Double { parameterBytes + gradientBytes + optimizerBytes + activationBytes + bookkeepingBytes }

    /// Bytes one table entry costs: `ParameterInfo`, its name and shape on the heap, its index
    /// entry and its share of `BlockTensors` (measured at about 300; rounded up).
    static let bytesPerTensor = 512.0
}

/// One size the estimate depends on: a field of `ModelConfig`, the run's batch and length, or
/// the LoRA rank. `ModelConfig.checkFits` names the one at fault through the caller's words.
public enum SizeFactor: String, CaseIterable, Sendable {
    case vocabSize = "vocab_size", hiddenSize = "hidden_size", numHiddenLayers = "num_hidden_layers"
    case numAttentionHeads = "num_attention_heads", intermediateSize = "intermediate_size"
    case maxPositionEmbeddings = "max_position_embeddings", typeVocabSize = "type_vocab_size"
    case numLabels = "num_labels"
    /// Rows of the largest micro-batch the activations hold.
    case batch
    /// Tokens per row the activations hold.
    case sequenceLength = "sequence length"
    case loraRank = "lora rank"
}

extension ModelConfig {
    /// Elements of every tensor of `ParameterTable.bertClassifier(self, lora:)`, counted by
    /// formula (the table itself would be as large as the model is deep):
    ///
    ///     embeddings  (V + P + T)·D + 2·D
    ///     per block   4·(D² + D) + 2·D·F + F + D + 4·D  = 4·D² + 2·D·F + 9·D + F
    ///     head        D² + D + L·D + L
    ///     adapters    N · Σ_targets r·(in + out)
    public func parameterCount(lora: LoRAConfig? = nil) -> Double {
        memoryEstimate(maxBatch: 1, maxSeqLen: 1, lora: lora, workload: .inference).parameters
    }

    /// The memory a process needs for this model with activations for `maxBatch` rows of
    /// `maxSeqLen` tokens (`Activations`' own layout, counted in `Double`).
    public func memoryEstimate(maxBatch: Int, maxSeqLen: Int, lora: LoRAConfig?, workload: MemoryEstimate.Workload)
        -> MemoryEstimate {
        Sizes(self, maxBatch: maxBatch, maxSeqLen: maxSeqLen, lora: lora).estimate(lora: lora, workload: workload)
    }

    /// Refuses a run whose estimate exceeds this machine's memory (per rank, times the ranks
    /// sharing it) or `MemoryBound.largestBytes`, or whose parameters exceed
    /// `largestParameterCount`, before anything is allocated. The message
    /// names the size at fault, as `name` words it ("--layers", "num_hidden_layers of m.h5"),
    /// with its value, the parameter count and the estimate.
    /// - Parameters:
    ///   - ranksOnHost: processes on this machine that each need the estimate.
    ///   - name: how the user gave each size; nil leaves a size out of the blame.
    public func checkFits(maxBatch: Int, maxSeqLen: Int, lora: LoRAConfig?, workload: MemoryEstimate.Workload,
                          ranksOnHost: Int = 1, name: (SizeFactor) -> String?) throws {
        let sizes = Sizes(self, maxBatch: maxBatch, maxSeqLen: maxSeqLen, lora: lora)
        let estimate = sizes.estimate(lora: lora, workload: workload)
        let ranks = Double(max(1, ranksOnHost))
        let physical = MemoryBound.physicalBytes.map(Double.init)
        let limit = min(physical ?? MemoryBound.largestBytes, MemoryBound.largestBytes)
        guard estimate.totalBytes * ranks > limit || estimate.parameters > ModelConfig.largestParameterCount
              || !estimate.totalBytes.isFinite else { return }
        // The size whose reduction to 1 shrinks the estimate most is the one at fault.
        let blamed = SizeFactor.allCases.compactMap { factor -> (String, Int, Double)? in
            guard let words = name(factor), let value = sizes.value(factor) else { return nil }
            var reduced = sizes
            reduced.set(factor, 1)
            return (words, value, estimate.totalBytes / reduced.estimate(lora: lora, workload: workload).totalBytes)
        }.max { $0.2 < $1.2 }
        let culprit = blamed.map { "\($0.0) \($0.1): " } ?? ""
        let what: String = switch workload {
        case .training: "training"
        case .gradients: "computing gradients"
        case .inference: "running it"
        }
        let perRank = ranks > 1 ? " per rank × \(Int(ranks)) ranks on this host" : ""
        let machine = physical.map { "this machine has \(MemoryBound.text(bytes: $0))" }
            ?? "txf refuses more than \(MemoryBound.text(bytes: MemoryBound.largestBytes))"
        var parts = ["parameters"]
        if estimate.gradientBytes > 0 { parts.append("gradients") }
        if estimate.optimizerBytes > 0 { parts.append("AdamW moments") }
        if Double(maxBatch) * Double(maxSeqLen) > 1 { parts.append("activations for \(maxBatch) × \(maxSeqLen) tokens") }
        throw TxfError("\(culprit)the model would have \(MemoryBound.text(count: estimate.parameters)) parameters (\(MemoryBound.text(bytes: estimate.parameterBytes)) for parameters alone); \(what) needs at least \(MemoryBound.text(bytes: estimate.totalBytes))\(perRank) (\(parts.joined(separator: ", "))) but \(machine)")
    }
}

/// The estimate's inputs as `Double`s, so that one can be changed to find the one at fault.
private struct Sizes {
    var v, d, n, h, f, p, types, l, b, s, r: Double
    /// Σ over LoRA targets of (in + out) in units of D and F: adapters = N·r·(dIn·D + fIn·F).
    let targetD: Double, targetF: Double
    let withLoRADropout: Bool, targetInD: Double, targetInF: Double
    let head: ModelHead

    init(_ c: ModelConfig, maxBatch: Int, maxSeqLen: Int, lora: LoRAConfig?) {
        v = Double(c.vocabSize); d = Double(c.hiddenSize); n = Double(c.numHiddenLayers)
        h = Double(c.numAttentionHeads); f = Double(c.intermediateSize); p = Double(c.maxPositionEmbeddings)
        types = Double(c.typeVocabSize); l = Double(c.numLabels); head = c.head
        b = Double(maxBatch); s = Double(maxSeqLen); r = Double(lora?.rank ?? 0)
        var inOutD = 0.0, inOutF = 0.0, inD = 0.0, inF = 0.0
        for target in lora?.targets ?? [] {
            switch target {
            case .query, .key, .value, .attentionOutput: inOutD += 2; inD += 1
            case .intermediate: inOutD += 1; inOutF += 1; inD += 1
            case .output: inOutD += 1; inOutF += 1; inF += 1
            }
        }
        targetD = inOutD; targetF = inOutF; targetInD = inD; targetInF = inF
        withLoRADropout = (lora?.dropout ?? 0) > 0
    }

    func value(_ factor: SizeFactor) -> Int? {
        let x: Double = switch factor {
        case .vocabSize: v
        case .hiddenSize: d
        case .numHiddenLayers: n
        case .numAttentionHeads: h
        case .intermediateSize: f
        case .maxPositionEmbeddings: p
        case .typeVocabSize: types
        case .numLabels: l
        case .batch: b
        case .sequenceLength: s
        case .loraRank: r
        }
        return x > 0 ? Int(exactly: x) : nil
    }

    mutating func set(_ factor: SizeFactor, _ x: Double) {
        switch factor {
        case .vocabSize: v = x
        case .hiddenSize: d = x
        case .numHiddenLayers: n = x
        case .numAttentionHeads: h = x
        case .intermediateSize: f = x
        case .maxPositionEmbeddings: p = x
        case .typeVocabSize: types = x
        case .numLabels: l = x
        case .batch: b = x
        case .sequenceLength: s = x
        case .loraRank: r = x
        }
    }

    func estimate(lora: LoRAConfig?, workload: MemoryEstimate.Workload) -> MemoryEstimate {
        let embeddings = (v + p + types) * d + 2 * d
        let block = 4 * d * d + 2 * d * f + 9 * d + f
        let maskedLM = head == .maskedLM
        let pooler = maskedLM ? 0 : d * d + d, classifier = maskedLM ? 0 : l * d + l
        let maskedLMHead = maskedLM ? d * d + 3 * d + v : 0
        let adapters = n * r * (targetD * d + targetF * f)
        let parameters = embeddings + n * block + pooler + classifier + maskedLMHead + adapters
        let trainable: Double = switch workload {
        case .inference: 0
        case .training, .gradients:
            lora.map { adapters + classifier + ($0.trainPooler ? pooler : 0) } ?? parameters
        }
        let t = b * s, attention = b * h * s * s
        // `Activations.init`: floats, mask bytes, and the inputs (tokens, types: Int32; lengths,
        // samples, ones: Int; keys: 16 bytes).
        let floats = 2 * t * d + 2 * t + n * (8 * t * d + 2 * t * f + attention + 4 * t) + 4 * b * d + 2 * b * l + b
            + 7 * t * d + t * f + 2 * b * d + b * l + 2 * s * s
            + (maskedLM ? 7 * t * d + 2 * t + 2 * Double(MaskedLMHead.chunkRows) * v + Double(MaskedLMHead.chunkRows) : 0)
        let maskBytes = t * d + n * (attention + 2 * t * d) + b * d
        let inputBytes = 8 * t + 44 * b + (maskedLM ? 12 * t : 0)
        // `LoRAAdapters.init`: u per target plus du; dropout copies and masks of the inputs.
        let loraIn = withLoRADropout ? t * (targetInD * d + targetInF * f) : 0
        let loraFloats = lora == nil ? 0 : t * r + n * (Double(lora!.targets.count) * t * r + loraIn)
        let activationBytes = 4 * (floats + loraFloats) + maskBytes + n * loraIn + inputBytes
        let tensors = 5 + 16 * n + (maskedLM ? 5 : 4) + n * 2 * Double(lora?.targets.count ?? 0)
        // A trainable word-embedding table comes with its [V] touched-rows marks.
        let touchedRows = workload != .inference && lora == nil ? v : 0
        return MemoryEstimate(
            parameters: parameters, trainable: trainable, tensors: tensors, parameterBytes: 4 * parameters,
            gradientBytes: 4 * (trainable + touchedRows), optimizerBytes: workload == .training ? 8 * trainable : 0,
            activationBytes: activationBytes, bookkeepingBytes: MemoryEstimate.bytesPerTensor * tensors)
    }
}
