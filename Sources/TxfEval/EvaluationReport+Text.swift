import Foundation

extension EvaluationReport {
    /// What `txf evaluate --json` prints, one object with sorted keys:
    ///
    ///     {"accuracy":0.82,"confusion":[[40,9],[9,42]],"count":100,"f1":0.82,"loss":0.41,
    ///      "mcc":0.64,"per_class":[{"f1":0.82,"label":"negative","precision":0.82,
    ///      "recall":0.82,"support":49},…]}
    ///
    /// `f1` is the macro F1; `per_class` is in class order, labelled with `labelNames`
    /// ("0", "1", … when nil or short).
    public func json(labelNames: [String]? = nil) -> String {
        let m = metrics
        let perClass: [[String: Any]] = m.support.indices.map { k in
            ["label": Self.name(of: k, in: labelNames), "precision": m.precision[k], "recall": m.recall[k],
             "f1": m.f1[k], "support": m.support[k]]
        }
        let object: [String: Any] = ["accuracy": accuracy, "loss": loss, "count": count, "confusion": confusion,
                                     "f1": m.macroF1, "mcc": m.mcc, "per_class": perClass]
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    /// The per-class table, then accuracy, macro F1 and MCC (what `txf evaluate` prints after
    /// the confusion matrix), laid out as scikit-learn's `classification_report`:
    ///
    ///        class  precision  recall      f1  support
    ///     negative     0.8163  0.8163  0.8163       49
    ///     positive     0.8235  0.8235  0.8235       51
    ///
    ///     accuracy  0.8200
    ///     macro F1  0.8199
    ///          MCC  0.6398
    public func metricsTable(labelNames: [String]? = nil) -> String {
        let m = metrics
        let names = m.support.indices.map { Self.name(of: $0, in: labelNames) }
        let width = max(8, names.map(\.count).max() ?? 0)
        func pad(_ s: String, _ w: Int) -> String { String(repeating: " ", count: max(0, w - s.count)) + s }
        func number(_ x: Double) -> String { String(format: "%.4f", x) }
        var lines = [pad("class", width) + "  precision  recall      f1  support"]
        for k in names.indices {
            lines.append(pad(names[k], width) + "  " + pad(number(m.precision[k]), 9) + "  " + pad(number(m.recall[k]), 6)
                         + "  " + pad(number(m.f1[k]), 6) + "  " + pad(String(m.support[k]), 7))
        }
        lines.append("")
        for (name, value) in [("accuracy", m.accuracy), ("macro F1", m.macroF1), ("MCC", m.mcc)] {
            lines.append(pad(name, width) + "  " + number(value))
        }
        return lines.joined(separator: "\n")
    }

    static func name(of label: Int, in names: [String]?) -> String {
        guard let names, label < names.count else { return String(label) }
        return names[label]
    }
}
