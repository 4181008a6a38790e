import TxfCore
import TxfEval
import TxfMatmul
import TxfModel

/// One training setting, declared once: its key, help, the default the help shows, and the
/// `TrainConfig` field it sets.
///
/// The key is both the JSON key of a `--config` file and the flag name (`"global-batch": 64`,
/// `--global-batch 64`); `TrainSetting.all` lists every setting, and the JSON coding of
/// `TrainConfig`, the `txf-train` flags, their help, and the training settings of `txf bench`
/// are all read from it. An on/off setting is a switch on the command line
/// (`--group-by-length`, `--no-group-by-length`) and a Boolean in JSON.
public struct TrainSetting {
    /// The section of `txf-train --help` a setting is listed in.
    public enum Group: String, CaseIterable, Sendable {
        case files = "Files"
        case model = "Model (from scratch)"
        case fineTuning = "Fine-tuning (with --init)"
        case optimisation = "Optimisation"
        case reporting = "Logging, evaluation, checkpoints"
    }

    /// JSON key and flag name (without the dashes).
    public let key: String
    public let group: Group
    /// One sentence or two, without the default (the help adds it).
    public let help: String
    /// Whether the flag takes no value (`--key` / `--no-key`).
    public let isSwitch: Bool
    /// The values an enumerated setting takes ("linear, cosine, constant"), for the help.
    let choices: [String]?
    /// The default as the help shows it, read from a config of defaults; nil shows none.
    let shownDefault: (TrainConfig) -> String?
    /// Reads the key when present in a JSON object.
    let decode: (KeyedDecodingContainer<SettingKey>, inout TrainConfig) throws -> Void
    /// Writes the field, unless it is an absent optional.
    let encode: (TrainConfig, inout KeyedEncodingContainer<SettingKey>) throws -> Void
    /// Sets the field from a flag's text; nil when the text is not a value of the setting.
    let parse: (String, inout TrainConfig) -> Bool

    /// A setting whose field always holds a value: its default is the field's initial value in
    /// `TrainConfig()` (or in the `defaults` a command shows), and JSON always carries it.
    static func field<V: SettingValue>(_ key: String, _ group: Group, _ path: WritableKeyPath<TrainConfig, V>,
                                       _ help: String) -> TrainSetting {
        TrainSetting(
            key: key, group: group, help: help, isSwitch: V.self == Bool.self, choices: V.choices,
            shownDefault: { $0[keyPath: path].shown },
            decode: { c, config in
                if let value = try c.decodeIfPresent(V.self, forKey: SettingKey(key)) { config[keyPath: path] = value }
            },
            encode: { config, c in try c.encode(config[keyPath: path], forKey: SettingKey(key)) },
            parse: { text, config in
                guard let value = V.parsing(flag: text) else { return false }
                config[keyPath: path] = value
                return true
            })
    }

    /// A setting that is nil until given: the default it stands for lives where it is applied
    /// (`Architecture`, `LoRAConfig`, the batch layout), and `shown` tells the help.
    static func optional<V: SettingValue>(_ key: String, _ group: Group, _ path: WritableKeyPath<TrainConfig, V?>,
                                          _ help: String, default shown: String? = nil) -> TrainSetting {
        TrainSetting(
            key: key, group: group, help: help, isSwitch: V.self == Bool.self, choices: V.choices,
            shownDefault: { _ in shown },
            decode: { c, config in config[keyPath: path] = try c.decodeIfPresent(V.self, forKey: SettingKey(key)) },
            encode: { config, c in try c.encodeIfPresent(config[keyPath: path], forKey: SettingKey(key)) },
            parse: { text, config in
                guard let value = V.parsing(flag: text) else { return false }
                config[keyPath: path] = value
                return true
            })
    }

    /// The settings named by `keys`, in that order (a command that takes some of them).
    public static func named(_ keys: [String]) -> [TrainSetting] {
        let all = Dictionary(uniqueKeysWithValues: TrainSetting.all.map { ($0.key, $0) })
        return keys.map { key in
            guard let setting = all[key] else { preconditionFailure("no training setting \"\(key)\"") }
            return setting
        }
    }
}

/// A JSON key of a config object.
struct SettingKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ key: String) { stringValue = key }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// A type a training setting holds: read from JSON and from a flag's text, shown in the help.
protocol SettingValue: Codable {
    /// Parses a flag's text; nil when it is not a value.
    static func parsing(flag text: String) -> Self?
    /// The value as the help shows a default.
    var shown: String { get }
    /// The names an enumerated type takes, for the help; nil for numbers and text.
    static var choices: [String]? { get }
}

extension SettingValue {
    static var choices: [String]? { nil }
}

extension SettingValue where Self: LosslessStringConvertible {
    static func parsing(flag text: String) -> Self? { Self(text) }
    var shown: String { description }
}

extension Int: SettingValue {}
extension UInt64: SettingValue {}
extension String: SettingValue {}
extension Bool: SettingValue {
    var shown: String { self ? "on" : "off" }
}
extension Double: SettingValue {
    /// Defaults as people write them: 1, 0.1, 5e-5.
    var shown: String {
        if self == rounded() && abs(self) < 1e15 { return String(Int(self)) }
        let text = description
        guard let e = text.firstIndex(of: "e") else { return text }
        let exponent = Int(text[text.index(after: e)...]) ?? 0
        return "\(text[..<e])e\(exponent)"
    }
}

extension SettingValue where Self: RawRepresentable<String> & CaseIterable {
    static func parsing(flag text: String) -> Self? { Self(rawValue: text) }
    var shown: String { rawValue }
    static var choices: [String]? { allCases.map(\.rawValue) }
}

extension TrainingMode: SettingValue {}
extension ScheduleKind: SettingValue {}
extension ProgressStyle: SettingValue {}
extension Precision: SettingValue {}
extension Pooling: SettingValue {}
extension TrainingObjective: SettingValue {}
extension EvalMetric: SettingValue {}
