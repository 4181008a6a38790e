/// A part of the model whose gradients `BertClassifier.backward` finishes together, in the
/// order backward finishes them: the head (classifier and pooler), the encoder blocks from the
/// last down to the first (each with its LoRA adapters), then the embeddings.
///
/// Once backward has reported a stage finished it adds nothing more to that stage's gradients
/// in this pass, so a caller that knows the pass is the step's last can start summing them over
/// ranks while backward computes the stages below (`OverlappedReduction` in TxfTrain).
public enum BackwardStage: Equatable, Sendable {
    case head
    case block(Int)
    case embeddings

    /// The stage whose backward writes the gradient of tensor `name` (a `ParameterTable` name).
    public init(tensor name: String) {
        if name.hasPrefix("embeddings.") {
            self = .embeddings
        } else if name.hasPrefix("encoder.layer."),
                  let layer = Int(name.dropFirst("encoder.layer.".count).prefix { $0 != "." }) {
            self = .block(layer)
        } else {
            self = .head
        }
    }

    /// Position in backward's order for a model of `layers` blocks: head 0, block l at
    /// layers − l, embeddings layers + 1.
    public func order(layers: Int) -> Int {
        switch self {
        case .head: 0
        case .block(let l): layers - l
        case .embeddings: layers + 1
        }
    }
}
