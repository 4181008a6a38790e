/// What a model predicts and how it is trained: a class (softmax cross-entropy over
/// `num_labels` logits) or one real number (mean squared error of a single logit), as Hugging
/// Face's `BertForSequenceClassification` does for `problem_type` "single_label_classification"
/// and "regression".
///
/// The raw value is the name `txf prepare --task` takes and a dataset's `task` attribute holds.
public enum ModelTask: String, Sendable, CaseIterable, Codable {
    case classification
    case regression

    /// Hugging Face's `problem_type` in config.json.
    public var problemType: String {
        switch self {
        case .classification: "single_label_classification"
        case .regression: "regression"
        }
    }

    /// The task of a Hugging Face `problem_type` (nil: one txf does not run, such as
    /// "multi_label_classification").
    public init?(problemType: String) {
        guard let task = ModelTask.allCases.first(where: { $0.problemType == problemType }) else { return nil }
        self = task
    }

    /// The model's outputs for a task whose data has `classes` classes: one for regression.
    public func outputs(classes: Int) -> Int { self == .regression ? 1 : classes }
}
