import Foundation

/// A BPE vocabulary and its merges as read from a tokenizer folder, before validation.
struct BPEVocabulary {
    /// One merge rule and where it was written, for error messages.
    struct MergeRule {
        var left: String
        var right: String
        /// The 1-based line of merges.txt, or the 0-based index in tokenizer.json's `model.merges`.
        var location: Int
    }

    var tokens: [String: Int]
    var merges: [MergeRule]
    /// The files the vocabulary and the merges came from (the same for tokenizer.json), and whether
    /// merge locations are merges.txt lines.
    var vocabularyPath: String
    var mergesPath: String
    var mergesAreLines: Bool

    /// Reads the published layout's `vocab.json` and `merges.txt`.
    static func published(vocabularyPath: String, mergesPath: String) throws -> BPEVocabulary {
        let tokens = try TokenizerFiles.decode([String: Int].self, from: vocabularyPath)
        return BPEVocabulary(tokens: tokens, merges: try mergeLines(at: mergesPath),
                             vocabularyPath: vocabularyPath, mergesPath: mergesPath, mergesAreLines: true)
    }

    /// Parses merges.txt as the reference does: a `#version` line is skipped, every other line is two
    /// tokens separated by exactly one space (a line ending may be `\n` or `\r\n`).
    static func mergeLines(at path: String) throws -> [MergeRule] {
        let data = try TokenizerFiles.read(path)
        var lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        var rules: [MergeRule] = []
        rules.reserveCapacity(lines.count)
        for (index, rawLine) in lines.enumerated() {
            let lineNumber = index + 1
            var line = rawLine
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            guard let text = String(bytes: line, encoding: .utf8) else {
                throw TokenizerError.malformedMerge(path: path, line: lineNumber, reason: "not valid UTF-8")
            }
            if text.hasPrefix("#version") { continue }
            let parts = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
            guard parts.count == 2 else {
                let shown = text.count > 60 ? String(text.prefix(60)) + "…" : text
                throw TokenizerError.malformedMerge(
                    path: path, line: lineNumber,
                    reason: "expected two tokens separated by one space, found \(parts.count) part\(parts.count == 1 ? "" : "s") in \"\(shown)\"")
            }
            rules.append(MergeRule(left: String(decoding: parts[0], as: UTF8.self),
                                   right: String(decoding: parts[1], as: UTF8.self), location: lineNumber))
        }
        return rules
    }

    /// Reads the vocabulary, merges and added tokens of a `tokenizer.json` (the Hugging Face
    /// tokenizers format transformers 5 writes). Its normalizer and pre-tokenizer are not read:
    /// transformers' `CLIPTokenizer` rebuilds CLIP's own from the vocabulary and merges.
    static func tokenizerJSON(at path: String) throws -> (BPEVocabulary, addedTokens: [(id: Int, token: AddedToken)]) {
        let file = try TokenizerFiles.decode(TokenizerJSON.self, from: path)
        if let type = file.model.type, type != "BPE" {
            throw TokenizerError.invalidValue(path: path, key: "model.type", reason: "\"\(type)\" is not BPE")
        }
        var rules: [MergeRule] = []
        rules.reserveCapacity(file.model.merges.pairs.count)
        for (index, parts) in file.model.merges.pairs.enumerated() {
            guard parts.count == 2 else {
                throw TokenizerError.invalidValue(path: path, key: "model.merges[\(index)]",
                                                  reason: "expected two tokens, found \(parts.count)")
            }
            rules.append(MergeRule(left: parts[0], right: parts[1], location: index))
        }
        var added: [(id: Int, token: AddedToken)] = []
        for (index, entry) in (file.addedTokens ?? []).enumerated() {
            let key = "added_tokens[\(index)]"
            guard case .object(let object) = entry else {
                throw TokenizerError.invalidValue(path: path, key: key, reason: "expected an object, found \(entry.kind)")
            }
            guard case .integer(let id)? = object["id"] else {
                throw TokenizerError.invalidValue(path: path, key: key + ".id", reason: "expected an integer")
            }
            added.append((id, try SpecialTokenSettings.addedToken(from: object, path: path, key: key)))
        }
        let vocabulary = BPEVocabulary(tokens: file.model.vocab, merges: rules, vocabularyPath: path, mergesPath: path,
                                       mergesAreLines: false)
        return (vocabulary, added)
    }

    /// Checks ids and merges and builds the model.
    /// - Parameter unknownToken: the BPE model's unknown token.
    func model(unknownToken: String?) throws -> BytePairModel {
        for (token, id) in tokens where id < 0 || id > Int(Int32.max) {
            throw TokenizerError.invalidValue(path: vocabularyPath, key: mergesAreLines ? token : "model.vocab.\(token)",
                                              reason: "id \(id) is outside 0...\(Int32.max)")
        }
        var resolved: [(left: Int, right: Int, merged: Int)] = []
        resolved.reserveCapacity(merges.count)
        for rule in merges {
            guard let left = tokens[rule.left], let right = tokens[rule.right] else {
                let missing = tokens[rule.left] == nil ? rule.left : rule.right
                throw mergeError(rule, "token \"\(missing)\" is not in the vocabulary")
            }
            guard let merged = tokens[rule.left + rule.right] else {
                throw mergeError(rule, "merged token \"\(rule.left + rule.right)\" is not in the vocabulary")
            }
            resolved.append((left, right, merged))
        }
        return BytePairModel(vocabulary: tokens, merges: resolved, unknownToken: unknownToken)
    }

    private func mergeError(_ rule: MergeRule, _ reason: String) -> TokenizerError {
        mergesAreLines
            ? .malformedMerge(path: mergesPath, line: rule.location, reason: reason)
            : .invalidValue(path: mergesPath, key: "model.merges[\(rule.location)]", reason: reason)
    }
}

/// The parts of tokenizer.json this SDK reads.
private struct TokenizerJSON: Decodable {
    struct Model: Decodable {
        var type: String?
        var vocab: [String: Int]
        var merges: Merges
    }

    /// Merges as `["left", "right"]` pairs (transformers 5) or `"left right"` strings (older files),
    /// decoded as a whole: trying both forms entry by entry is slow.
    struct Merges: Decodable {
        var pairs: [[String]]

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let pairs = try? container.decode([[String]].self) {
                self.pairs = pairs
            } else {
                // Split on scalars: a space followed by a combining mark is one Swift Character.
                pairs = try container.decode([String].self).map { text in
                    text.unicodeScalars.split(separator: " ", omittingEmptySubsequences: false)
                        .map { String(String.UnicodeScalarView($0)) }
                }
            }
        }
    }

    var model: Model
    var addedTokens: [JSONValue]?

    enum CodingKeys: String, CodingKey {
        case model
        case addedTokens = "added_tokens"
    }
}
