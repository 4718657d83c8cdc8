import Foundation

/// The padding conventions of Stable Diffusion's tokenizers.
public enum CLIPPadding: Sendable, CaseIterable {
    /// SD 1.x: pad with `<|endoftext|>` (49407).
    case endOfText
    /// SD 2.x: pad with `!` (0), which is then also a special token: "!!!" gives three `!` ids.
    case exclamationMark
}

extension CLIPTokenizer {
    /// Loads a model's `tokenizer/` folder in either layout found in the wild.
    ///
    /// - Published SD repos: `vocab.json`, `merges.txt`, `tokenizer_config.json` and (optional)
    ///   `special_tokens_map.json`.
    /// - transformers 5 `save_pretrained`: `tokenizer.json` (vocabulary, merges, added tokens) and
    ///   `tokenizer_config.json`. When both layouts are present, tokenizer.json wins, as in transformers.
    ///
    /// Special tokens, added tokens and `model_max_length` come from these files as transformers 5
    /// reads them (see `SpecialTokenSettings`); without `model_max_length` the length is 77.
    /// - Parameter folder: the tokenizer folder (not the model folder).
    /// - Throws: `TokenizerError` naming the missing or malformed file, with key or line.
    public init(folder: URL) throws {
        let path = folder.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw TokenizerError.missingFolder(path: path)
        }
        func file(_ name: String) -> String { folder.appendingPathComponent(name).path }
        let vocabulary: BPEVocabulary
        var jsonAddedTokens: [(id: Int, token: AddedToken)]?
        if TokenizerFiles.exists(file("tokenizer.json")) {
            (vocabulary, jsonAddedTokens) = try BPEVocabulary.tokenizerJSON(at: file("tokenizer.json"))
        } else if TokenizerFiles.exists(file("vocab.json")) || TokenizerFiles.exists(file("merges.txt")) {
            vocabulary = try BPEVocabulary.published(vocabularyPath: file("vocab.json"), mergesPath: file("merges.txt"))
        } else {
            let contents = (try? FileManager.default.contentsOfDirectory(atPath: path))?.sorted() ?? []
            throw TokenizerError.unrecognizedLayout(folder: path, contents: contents)
        }
        let configPath = file("tokenizer_config.json")
        guard TokenizerFiles.exists(configPath) else { throw TokenizerError.missingFile(path: configPath) }
        let mapPath = file("special_tokens_map.json")
        let settings = try SpecialTokenSettings(
            configPath: configPath, specialTokensMapPath: TokenizerFiles.exists(mapPath) ? mapPath : nil,
            tokenizerJSONAddedTokens: jsonAddedTokens)
        try self.init(vocabulary: vocabulary, settings: settings, configPath: configPath)
    }

    /// CLIP's vocabulary as it ships with the library, configured like the published SD 1.x or SD 2.x
    /// tokenizer folder: for single-file checkpoints, which carry no tokenizer.
    /// - Parameter padding: `.endOfText` for SD 1.x, `.exclamationMark` for SD 2.x.
    /// - Returns: a tokenizer giving the ids of the published `tokenizer/` folder of that family.
    /// - Throws: `TokenizerError.missingResource` when the resource bundle is not beside the program.
    public static func bundled(padding: CLIPPadding = .endOfText) throws -> CLIPTokenizer {
        let directory = try BundledResources.clipDirectory()
        let vocabulary = try BPEVocabulary.published(
            vocabularyPath: directory.appendingPathComponent("vocab.json").path,
            mergesPath: directory.appendingPathComponent("merges.txt").path)
        let configFolder = directory.appendingPathComponent(padding == .endOfText ? "sd1" : "sd2")
        let configPath = configFolder.appendingPathComponent("tokenizer_config.json").path
        let settings = try SpecialTokenSettings(
            configPath: configPath,
            specialTokensMapPath: configFolder.appendingPathComponent("special_tokens_map.json").path,
            tokenizerJSONAddedTokens: nil)
        return try CLIPTokenizer(vocabulary: vocabulary, settings: settings, configPath: configPath)
    }

    /// Builds the model and registers the added tokens as the `tokenizers` library's
    /// `AddedVocabulary.add_tokens` does: a text already in the vocabulary keeps its id, a new one gets
    /// the next id after the vocabulary, and a text registered again takes the new settings.
    init(vocabulary: BPEVocabulary, settings: SpecialTokenSettings, configPath: String) throws {
        let unknownToken = settings.named["unk_token"]?.content
        let model = try vocabulary.model(unknownToken: unknownToken)
        let vocabularySize = model.vocabulary.count

        var idByContent: [String: Int] = [:]
        var tokenByID: [Int: AddedToken] = [:]
        var registrationOrder: [Int] = []
        for token in settings.tokensToRegister where !token.content.isEmpty {
            if tokenByID.values.contains(token) { continue }
            let id: Int
            if let existing = idByContent[token.content] ?? model.vocabulary[token.content] {
                id = existing
            } else if let largest = idByContent.values.max() {
                id = largest >= vocabularySize || vocabularySize == 0 ? largest + 1 : vocabularySize
            } else {
                id = vocabularySize
            }
            idByContent[token.content] = id
            if tokenByID.updateValue(token, forKey: id) == nil { registrationOrder.append(id) }
        }

        // `convert_tokens_to_ids`: added tokens, then the vocabulary, else the unknown token's id.
        let unknownID = unknownToken.flatMap { idByContent[$0] ?? model.vocabulary[$0] }
        func resolve(_ attribute: String) throws -> Int {
            let content = settings.named[attribute]?.content ?? ""
            guard let id = idByContent[content] ?? model.vocabulary[content] ?? unknownID else {
                throw TokenizerError.invalidValue(path: configPath, key: attribute,
                                                  reason: "\"\(content)\" is neither in the vocabulary nor an added token")
            }
            return id
        }
        self.init(model: model,
                  addedTokens: registrationOrder.compactMap { id in tokenByID[id].map { ($0, id) } },
                  splitsSpecialTokens: settings.splitsSpecialTokens,
                  maximumLength: settings.maximumLength,
                  beginningOfSequenceID: try resolve("bos_token"),
                  endOfSequenceID: try resolve("eos_token"),
                  paddingID: try resolve("pad_token"))
    }
}
