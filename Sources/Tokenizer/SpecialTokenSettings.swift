/// The special tokens, added tokens and length of a tokenizer folder, resolved as transformers 5
/// resolves them when `CLIPTokenizer.from_pretrained` reads the folder (`tokenization_utils_base.py`
/// `_from_pretrained`, `tokenization_utils_tokenizers.py` `TokenizersBackend.__init__`):
///
/// - the named tokens (`bos_token`, `eos_token`, `unk_token`, `sep_token`, `pad_token`, `cls_token`,
///   `mask_token`) come from tokenizer_config.json, as plain strings or `AddedToken` objects;
/// - if tokenizer_config.json has `added_tokens_decoder`, those are the added tokens and
///   special_tokens_map.json is ignored; otherwise special_tokens_map.json overrides the named tokens
///   and tokenizer.json's `added_tokens` are the added tokens;
/// - a named token whose text is an added token takes that token's settings;
/// - keys ending in `_token` (model-specific tokens) and `additional_special_tokens` /
///   `extra_special_tokens` are extra special tokens;
/// - CLIP's defaults fill in missing names (BOS `<|startoftext|>`, EOS/UNK/PAD `<|endoftext|>`);
/// - all are registered in order (added tokens by id, then named, then extra special tokens), a plain
///   string becoming a special, not-normalized token; when one text is registered twice, the last
///   registration's settings win (so SD 1.x's plain-string pad token makes `<|endoftext|>` match only
///   in the raw text, while SD 2.x's `<|endoftext|>` matches after lowercasing).
struct SpecialTokenSettings {
    /// A token as a config file writes it.
    enum ConfiguredToken: Equatable {
        case plain(String)
        case added(AddedToken)

        var content: String {
            switch self {
            case .plain(let content): return content
            case .added(let token): return token.content
            }
        }
    }

    /// transformers' `SPECIAL_TOKENS_ATTRIBUTES`, in its order.
    static let namedAttributes = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"]
    /// `CLIPTokenizer.__init__`'s defaults.
    static let clipDefaults = ["bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>",
                               "unk_token": "<|endoftext|>", "pad_token": "<|endoftext|>"]
    static let largestMaximumLength = 1 << 20

    var named: [String: ConfiguredToken] = [:]
    var extra: [ConfiguredToken] = []
    var decoder: [(id: Int, token: AddedToken)] = []
    var maximumLength = 77
    var splitsSpecialTokens = false

    /// Reads the settings.
    /// - Parameters:
    ///   - configPath: tokenizer_config.json (required).
    ///   - specialTokensMapPath: special_tokens_map.json, when the folder has one.
    ///   - tokenizerJSONAddedTokens: the `added_tokens` of tokenizer.json, when the folder has one.
    /// - Throws: `TokenizerError` naming the file and key of a missing or malformed value.
    init(configPath: String, specialTokensMapPath: String?,
         tokenizerJSONAddedTokens: [(id: Int, token: AddedToken)]?) throws {
        let config = try TokenizerFiles.decodeObject(from: configPath)
        for attribute in Self.namedAttributes {
            if let value = config[attribute] {
                named[attribute] = try Self.configuredToken(value, path: configPath, key: attribute, forceSpecial: false)
            }
        }
        // Model-specific tokens (`image_token`, …) come first among the extra special tokens. JSON
        // objects do not keep their order here, so several of them are taken in key order.
        for key in config.keys.sorted() where key.hasSuffix("_token") && !Self.namedAttributes.contains(key) {
            guard let value = config[key], Self.isTokenSpelling(value) else { continue }
            extra.append(try Self.configuredToken(value, path: configPath, key: key, forceSpecial: false))
        }
        // `extra_special_tokens` (a list, or named tokens), else the older `additional_special_tokens`.
        var extraKey = "extra_special_tokens"
        switch config[extraKey] {
        case nil, .array([])?: extraKey = "additional_special_tokens"
        default: break
        }
        switch config[extraKey] {
        case nil:
            break
        case .array(let items)?:
            extra += try items.enumerated().map {
                try Self.configuredToken($0.element, path: configPath, key: "\(extraKey)[\($0.offset)]", forceSpecial: false)
            }
        case .object(let named)? where extraKey == "extra_special_tokens":
            for name in named.keys.sorted() {
                extra.append(try Self.configuredToken(named[name] ?? .null, path: configPath, key: "\(extraKey).\(name)",
                                                      forceSpecial: false))
            }
        case let value?:
            throw TokenizerError.invalidValue(path: configPath, key: extraKey, reason: "expected an array, found \(value.kind)")
        }

        if let value = config["added_tokens_decoder"] {
            guard case .object(let entries) = value else {
                throw TokenizerError.invalidValue(path: configPath, key: "added_tokens_decoder",
                                                  reason: "expected an object, found \(value.kind)")
            }
            for (idText, entry) in entries {
                let key = "added_tokens_decoder.\(idText)"
                guard let id = Int(idText), id >= 0 else {
                    throw TokenizerError.invalidValue(path: configPath, key: key, reason: "the key must be a token id")
                }
                guard case .object(let object) = entry else {
                    throw TokenizerError.invalidValue(path: configPath, key: key, reason: "expected an object, found \(entry.kind)")
                }
                decoder.append((id, try Self.addedToken(from: object, path: configPath, key: key)))
            }
        } else {
            if let mapPath = specialTokensMapPath {
                let map = try TokenizerFiles.decodeObject(from: mapPath)
                for attribute in Self.namedAttributes {
                    if let value = map[attribute] {
                        named[attribute] = try Self.configuredToken(value, path: mapPath, key: attribute, forceSpecial: true)
                    }
                }
            }
            decoder = tokenizerJSONAddedTokens ?? []
        }
        decoder.sort { $0.id < $1.id }

        if !decoder.isEmpty {
            var byContent: [String: AddedToken] = [:]
            for entry in decoder { byContent[entry.token.content] = entry.token }
            for (attribute, token) in named {
                if let replacement = byContent[token.content] { named[attribute] = .added(replacement) }
            }
        }
        for (attribute, content) in Self.clipDefaults where named[attribute] == nil {
            named[attribute] = .plain(content)
        }

        if let value = config["model_max_length"] ?? config["max_len"] {
            guard case .integer(let length) = value, (3...Self.largestMaximumLength).contains(length) else {
                throw TokenizerError.invalidValue(path: configPath, key: "model_max_length",
                                                  reason: "expected an integer in 3...\(Self.largestMaximumLength)")
            }
            maximumLength = length
        }
        if let value = config["split_special_tokens"] {
            guard case .bool(let flag) = value else {
                throw TokenizerError.invalidValue(path: configPath, key: "split_special_tokens",
                                                  reason: "expected a boolean, found \(value.kind)")
            }
            splitsSpecialTokens = flag
        }
    }

    /// The tokens to register, in transformers' order, each as the `AddedToken` it becomes.
    var tokensToRegister: [AddedToken] {
        var pending: [ConfiguredToken] = decoder.map { .added($0.token) }
        let decoderContents = Set(decoder.map(\.token.content))
        let namedInOrder = Self.namedAttributes.compactMap { named[$0] }
        for token in namedInOrder + extra where !decoderContents.contains(token.content) && !pending.contains(token) {
            pending.append(token)
        }
        let namedContents = Set(namedInOrder.map(\.content))
        return pending.map { token in
            switch token {
            case .plain(let content):
                return AddedToken(content, special: true)
            case .added(var added):
                if !added.special && namedContents.contains(added.content) { added.special = true }
                return added
            }
        }
    }

    /// Whether a value spells a token: a string, or an object with a string `content`.
    static func isTokenSpelling(_ value: JSONValue) -> Bool {
        switch value {
        case .string: return true
        case .object(let object):
            if case .string? = object["content"] { return true }
            return false
        default: return false
        }
    }

    /// A string or `AddedToken` object.
    /// - Parameter forceSpecial: special_tokens_map.json's objects are always special.
    static func configuredToken(_ value: JSONValue, path: String, key: String, forceSpecial: Bool) throws -> ConfiguredToken {
        switch value {
        case .string(let content):
            return .plain(content)
        case .object(var object):
            if forceSpecial { object["special"] = .bool(true) }
            return .added(try addedToken(from: object, path: path, key: key))
        default:
            throw TokenizerError.invalidValue(path: path, key: key,
                                              reason: "expected a string or an AddedToken object, found \(value.kind)")
        }
    }

    /// An `AddedToken` object (`content`, `single_word`, `lstrip`, `rstrip`, `normalized`, `special`),
    /// with the `tokenizers` defaults for absent flags.
    static func addedToken(from object: [String: JSONValue], path: String, key: String) throws -> AddedToken {
        guard case .string(let content)? = object["content"] else {
            throw TokenizerError.invalidValue(path: path, key: key + ".content", reason: "expected a string")
        }
        func flag(_ name: String) throws -> Bool? {
            guard let value = object[name] else { return nil }
            guard case .bool(let flag) = value else {
                throw TokenizerError.invalidValue(path: path, key: "\(key).\(name)", reason: "expected a boolean, found \(value.kind)")
            }
            return flag
        }
        let special = try flag("special") ?? false
        return AddedToken(content, singleWord: try flag("single_word") ?? false, stripsLeft: try flag("lstrip") ?? false,
                          stripsRight: try flag("rstrip") ?? false, normalized: try flag("normalized"), special: special)
    }
}
