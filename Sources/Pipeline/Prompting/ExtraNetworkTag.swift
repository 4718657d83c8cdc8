/// An A1111 "extra network" tag, `<KIND:ARG:ARG…>` (`extra_networks.parse_prompt`): `<lora:NAME:W>` and the
/// rarer `<hypernet:…>`, `<lyco:…>`. The web UI removes every such tag from the prompt before anything else
/// reads it, and activates the networks they name.
public struct ExtraNetworkTag: Sendable, Equatable {
    /// The network kind (`lora`, `hypernet`, …), the text before the first `:`.
    public var kind: String
    /// The arguments, split at `:` (`["NAME", "0.8"]`).
    public var arguments: [String]

    /// A tag.
    /// - Parameters:
    ///   - kind: the network kind.
    ///   - arguments: its arguments.
    public init(kind: String, arguments: [String]) {
        self.kind = kind
        self.arguments = arguments
    }

    /// Removes every `<(\w+):([^>]+)>` from a prompt, as the web UI does (`re.sub`, left to right).
    /// - Parameter prompt: the prompt as typed.
    /// - Returns: the prompt without the tags, and the tags in order.
    public static func extract(from prompt: String) -> (prompt: String, tags: [ExtraNetworkTag]) {
        let s = Array(prompt.unicodeScalars)
        var out: [Unicode.Scalar] = []
        var tags: [ExtraNetworkTag] = []
        var i = 0
        while i < s.count {
            if s[i] == "<", let (tag, end) = match(s, at: i) {
                tags.append(tag)
                i = end
            } else {
                out.append(s[i])
                i += 1
            }
        }
        return (String(scalars: out), tags)
    }

    static func match(_ s: [Unicode.Scalar], at open: Int) -> (ExtraNetworkTag, Int)? {
        var i = open + 1
        while i < s.count, PythonCharacters.isWordCharacter(s[i]) { i += 1 }
        guard i > open + 1, i < s.count, s[i] == ":" else { return nil }
        let kind = String(scalars: s[(open + 1)..<i])
        let argumentsStart = i + 1
        guard let close = s[argumentsStart...].firstIndex(of: ">"), close > argumentsStart else { return nil }
        let arguments = String(scalars: s[argumentsStart..<close])
            .split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        return (ExtraNetworkTag(kind: kind, arguments: arguments), close + 1)
    }

    /// For a `lora` tag: the LoRA as the web UI's networks extension reads it, or nil for another kind or
    /// a tag without a name.
    public var lora: LoRAPromptTag? { kind == "lora" ? LoRAPromptTag(arguments: arguments) : nil }
}

/// A `<lora:NAME:TE[:UNET]>` tag read as A1111's networks extension reads it: positional weights, or
/// `te=` / `unet=` named ones; the text-encoder weight defaults to 1 and the UNet weight to the text
/// encoder's.
public struct LoRAPromptTag: Sendable, Equatable {
    /// The LoRA's name (its file name without extension in the LoRA folder).
    public var name: String
    /// The multiplier of the LoRA's text-encoder part; nil when the text given is not a number (the web
    /// UI reports an error and skips the network).
    public var textEncoderWeight: Double?
    /// The multiplier of the LoRA's UNet part; nil as above.
    public var unetWeight: Double?

    /// Reads a tag's arguments; nil without a name.
    /// - Parameter arguments: the tag's arguments after `lora:`.
    public init?(arguments: [String]) {
        var positional: [String] = []
        var named: [String: String] = [:]
        for item in arguments {
            // Python: item.split('=', 2), used as named only when it gives exactly two parts.
            let parts = item.split(separator: "=", omittingEmptySubsequences: false)
            if parts.count == 2 { named[String(parts[0])] = String(parts[1]) } else { positional.append(item) }
        }
        guard let name = positional.first else { return nil }
        self.name = name
        let te: Double? = named["te"].map { PythonCharacters.float($0.unicodeScalars) }
            ?? (positional.count > 1 ? PythonCharacters.float(positional[1].unicodeScalars) : 1)
        textEncoderWeight = te
        unetWeight = named["unet"].map { PythonCharacters.float($0.unicodeScalars) }
            ?? (positional.count > 2 ? PythonCharacters.float(positional[2].unicodeScalars) : te)
    }
}
