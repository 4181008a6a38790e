import TxfCore

extension TrainSetting {
    /// Applies command-line flags of `settings` over `config`, in order (a later flag wins).
    ///
    /// Takes `--key value`, `--key=value`, and `--key` / `--no-key` for switches. Errors name
    /// the flag in the argument parser's words: `Unknown option '--lrr'. Did you mean '--lr'?`,
    /// `Missing value for '--lr <lr>'`, `The value 'x' is invalid for '--lr <lr>'`.
    /// - Parameters:
    ///   - arguments: the flags as typed, e.g. ["--lr", "1e-3", "--no-group-by-length"].
    ///   - otherFlags: the command's own flags (without dashes), offered as suggestions too.
    public static func apply(flags arguments: [String], of settings: [TrainSetting] = all,
                             otherFlags: [String] = [], to config: inout TrainConfig) throws {
        let byKey = Dictionary(uniqueKeysWithValues: settings.map { ($0.key, $0) })
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("--"), argument.count > 2 else { throw TxfError("Unexpected argument '\(argument)'") }
            var name = String(argument.dropFirst(2))
            var attached: String?
            if let equals = name.firstIndex(of: "=") {
                attached = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            if let setting = byKey[name], setting.isSwitch, attached == nil {
                _ = setting.parse("true", &config)
            } else if name.hasPrefix("no-"), let setting = byKey[String(name.dropFirst(3))], setting.isSwitch, attached == nil {
                _ = setting.parse("false", &config)
            } else if let setting = byKey[name], !setting.isSwitch {
                let text: String
                if let attached {
                    text = attached
                } else if index < arguments.count, !arguments[index].hasPrefix("--") {
                    text = arguments[index]
                    index += 1
                } else {
                    throw TxfError("Missing value for '--\(name) <\(name)>'")
                }
                guard setting.parse(text, &config) else {
                    let choices = setting.choices.map { ". Please provide one of \(quotedList($0))." } ?? ""
                    throw TxfError("The value '\(text)' is invalid for '--\(name) <\(name)>'\(choices)")
                }
            } else {
                let known = settings.flatMap { $0.isSwitch ? [$0.key, "no-" + $0.key] : [$0.key] } + otherFlags
                throw TxfError(unknownFlagMessage(name, known: known))
            }
        }
    }

    /// "Unknown option '--x'", with the closest known flag when one is near (fewer than 4 edits).
    static func unknownFlagMessage(_ name: String, known: [String]) -> String {
        let distances = known.map { (flag: $0, distance: editDistance($0, name)) }.filter { $0.distance < 4 }
        guard let nearest = distances.min(by: { $0.distance < $1.distance }) else { return "Unknown option '--\(name)'" }
        return "Unknown option '--\(name)'. Did you mean '--\(nearest.flag)'?"
    }

    static func quotedList(_ names: [String]) -> String {
        let quoted = names.map { "'\($0)'" }
        guard quoted.count > 1 else { return quoted.joined() }
        return quoted.dropLast().joined(separator: ", ") + " or " + quoted.last!
    }
}

// MARK: - Help

extension TrainSetting {
    /// The help lines of `settings` under their group titles (`FILES:`), laid out as the
    /// argument parser lays out options: the flag in 24 columns, the help beside it, in lines
    /// shorter than 80 columns (the parser re-wraps a line of 80).
    /// - Parameters:
    ///   - defaults: the config whose fields give the defaults shown (a command's own defaults).
    ///   - grouped: false puts every setting under one `title`.
    public static func help(_ settings: [TrainSetting] = all, defaults: TrainConfig = TrainConfig(),
                            title: String? = nil) -> String {
        var sections: [(title: String, settings: [TrainSetting])] = []
        if let title {
            sections = [(title, settings)]
        } else {
            for group in Group.allCases {
                let members = settings.filter { $0.group == group }
                if !members.isEmpty { sections.append((group.rawValue, members)) }
            }
        }
        return sections.map { section in
            ([section.title.uppercased() + ":"] + section.settings.map { $0.helpLines(defaults: defaults) })
                .joined(separator: "\n")
        }.joined(separator: "\n\n")
    }

    /// "  --lr <lr>               Peak learning rate (default 5e-5)." wrapped as the help shows it.
    func helpLines(defaults: TrainConfig) -> String {
        let label = isSwitch ? "--\(key)/--no-\(key)" : "--\(key) <\(key)>"
        var text = help
        if let shown = shownDefault(defaults) { text += " (default \(shown))" }
        text += "."
        if let choices { text += " (values: \(choices.joined(separator: ", ")))" }
        let indent = 26, width = 79
        let lines = wrap(text, width: width - indent)
        let pad = String(repeating: " ", count: indent)
        let first = "  " + label
        if first.count <= indent - 1 {
            return ([first + String(repeating: " ", count: indent - first.count) + lines[0]]
                    + lines.dropFirst().map { pad + $0 }).joined(separator: "\n")
        }
        return ([first] + lines.map { pad + $0 }).joined(separator: "\n")
    }

    /// Words of `text` in lines of at most `width` characters (a longer word stands alone).
    func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty && line.count + 1 + word.count > width {
                lines.append(line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        return lines + [line]
    }
}
