import Foundation
import Testing
@testable import Tokenizer

/// Missing and malformed tokenizer files give typed errors naming the file (and key or line).
@Suite struct LoadingErrorTests {
    /// A scratch tokenizer folder in the published layout with a tiny vocabulary.
    final class Scratch {
        let folder: URL

        init() throws {
            folder = FileManager.default.temporaryDirectory
                .appendingPathComponent("tokenizer-tests-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        }

        deinit { try? FileManager.default.removeItem(at: folder) }

        func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

        func write(_ name: String, _ text: String) throws {
            try Data(text.utf8).write(to: folder.appendingPathComponent(name))
        }

        func remove(_ name: String) throws { try FileManager.default.removeItem(atPath: path(name)) }

        /// vocab: a, b, ab, a</w>, b</w>, ab</w>, specials; merges: a b.
        func writePublished(config: String = #"{"model_max_length": 77}"#) throws {
            try write("vocab.json", #"{"a": 0, "b": 1, "a</w>": 2, "b</w>": 3, "ab": 4, "ab</w>": 5, "<|startoftext|>": 6, "<|endoftext|>": 7}"#)
            try write("merges.txt", "#version: 0.2\na b\na b</w>\n")
            try write("tokenizer_config.json", config)
        }
    }

    @Test func tinyPublishedFolderLoads() throws {
        let scratch = try Scratch()
        try scratch.writePublished()
        let tokenizer = try CLIPTokenizer(folder: scratch.folder)
        #expect(tokenizer.contentIDs(for: "AB ab Ba") == [5, 5, 1, 2])
        #expect(tokenizer.inputIDs(for: "a").prefix(4) == [6, 2, 7, 7])
    }

    @Test func missingFolder() {
        let path = "/nonexistent/tokenizer"
        #expect(throws: TokenizerError.missingFolder(path: path)) {
            try CLIPTokenizer(folder: URL(fileURLWithPath: path))
        }
    }

    @Test func unrecognizedLayout() throws {
        let scratch = try Scratch()
        try scratch.write("config.json", "{}")
        #expect(throws: TokenizerError.unrecognizedLayout(folder: scratch.folder.path, contents: ["config.json"])) {
            try CLIPTokenizer(folder: scratch.folder)
        }
    }

    @Test(arguments: ["vocab.json", "merges.txt", "tokenizer_config.json"])
    func missingFile(_ name: String) throws {
        let scratch = try Scratch()
        try scratch.writePublished()
        try scratch.remove(name)
        #expect(throws: TokenizerError.missingFile(path: scratch.path(name))) {
            try CLIPTokenizer(folder: scratch.folder)
        }
    }

    @Test func vocabularyThatIsNotJSON() throws {
        let scratch = try Scratch()
        try scratch.writePublished()
        try scratch.write("vocab.json", "{\"a\": 0,\n \"b\": }")
        let error = try #require(throws: TokenizerError.self) { try CLIPTokenizer(folder: scratch.folder) }
        guard case .malformedJSON(let path, let reason) = error else {
            Issue.record("unexpected \(error)")
            return
        }
        #expect(path == scratch.path("vocab.json"))
        #expect(error.description.contains("vocab.json"))
        // The second line holds the error.
        #expect(reason.hasPrefix("line 2, column "), "\(reason)")
    }

    @Test func vocabularyIDThatIsNotAnInteger() throws {
        let scratch = try Scratch()
        try scratch.writePublished()
        try scratch.write("vocab.json", #"{"a": 0, "b": "one"}"#)
        #expect(throws: TokenizerError.invalidValue(path: scratch.path("vocab.json"), key: "b", reason: "expected an integer")) {
            try CLIPTokenizer(folder: scratch.folder)
        }
    }

    @Test func negativeVocabularyID() throws {
        let scratch = try Scratch()
        try scratch.writePublished()
        try scratch.write("vocab.json", #"{"a": -1}"#)
        let error = try #require(throws: TokenizerError.self) { try CLIPTokenizer(folder: scratch.folder) }
        #expect(error.description.contains("vocab.json") && error.description.contains("'a'"))
    }

    @Test func mergeLineWithThreeParts() throws {
        let scratch = try Scratch()
        try scratch.writePublished()
        try scratch.write("merges.txt", "#version: 0.2\na b\na b c\n")
        let error = try #require(throws: TokenizerError.self) { try CLIPTokenizer(folder: scratch.folder) }
        guard case .malformedMerge(let path, let line, _) = error else {
            Issue.record("unexpected \(error)")
            return
        }
        #expect(path == scratch.path("merges.txt"))
        #expect(line == 3)
        #expect(error.description.contains("merges.txt, line 3"))
    }

    @Test func emptyMergeLineInTheMiddle() throws {
        let scratch = try Scratch()
        try scratch.writePublished()
        try scratch.write("merges.txt", "#version: 0.2\r\na b\r\n\r\na b</w>\r\n")
        let error = try #require(throws: TokenizerError.self) { try CLIPTokenizer(folder: scratch.folder) }
        guard case .malformedMerge(_, let line, _) = error else {
            Issue.record("unexpected \(error)")
            return
        }
        #expect(line == 3)
    }

    @Test func mergeOfUnknownToken() throws {
        let scratch = try Scratch()
        try scratch.writePublished()
        try scratch.write("merges.txt", "#version: 0.2\na b\nb c\n")
        #expect(throws: TokenizerError.malformedMerge(path: scratch.path("merges.txt"), line: 3,
                                                      reason: "token \"c\" is not in the vocabulary")) {
            try CLIPTokenizer(folder: scratch.folder)
        }
    }

    @Test func mergedTokenMissingFromVocabulary() throws {
        let scratch = try Scratch()
        try scratch.writePublished()
        try scratch.write("merges.txt", "b a\n")
        #expect(throws: TokenizerError.malformedMerge(path: scratch.path("merges.txt"), line: 1,
                                                      reason: "merged token \"ba\" is not in the vocabulary")) {
            try CLIPTokenizer(folder: scratch.folder)
        }
    }

    @Test func mergesThatAreNotUTF8() throws {
        let scratch = try Scratch()
        try scratch.writePublished()
        try Data([0x61, 0x20, 0x62, 0x0A, 0xFF, 0x20, 0x62, 0x0A]).write(to: scratch.folder.appendingPathComponent("merges.txt"))
        #expect(throws: TokenizerError.malformedMerge(path: scratch.path("merges.txt"), line: 2, reason: "not valid UTF-8")) {
            try CLIPTokenizer(folder: scratch.folder)
        }
    }

    @Test(arguments: [
        (#"{"model_max_length": 1e30}"#, "model_max_length"),
        (#"{"model_max_length": 2}"#, "model_max_length"),
        (#"{"model_max_length": "77"}"#, "model_max_length"),
        (#"{"pad_token": 5}"#, "pad_token"),
        (#"{"bos_token": null}"#, "bos_token"),
        (#"{"eos_token": {"lstrip": false}}"#, "eos_token.content"),
        (#"{"eos_token": {"content": "x", "lstrip": "no"}}"#, "eos_token.lstrip"),
        (#"{"split_special_tokens": 1}"#, "split_special_tokens"),
        (#"{"added_tokens_decoder": {"x": {"content": "a"}}}"#, "added_tokens_decoder.x"),
        (#"{"added_tokens_decoder": []}"#, "added_tokens_decoder"),
    ])
    func invalidConfigValue(_ config: String, _ key: String) throws {
        let scratch = try Scratch()
        try scratch.writePublished(config: config)
        let error = try #require(throws: TokenizerError.self) { try CLIPTokenizer(folder: scratch.folder) }
        guard case .invalidValue(let path, let reportedKey, _) = error else {
            Issue.record("unexpected \(error)")
            return
        }
        #expect(path == scratch.path("tokenizer_config.json"))
        #expect(reportedKey == key)
    }

    @Test func configThatIsNotAnObject() throws {
        let scratch = try Scratch()
        try scratch.writePublished(config: "[77]")
        #expect(throws: TokenizerError.malformedJSON(path: scratch.path("tokenizer_config.json"),
                                                     reason: "the top level must be an object")) {
            try CLIPTokenizer(folder: scratch.folder)
        }
    }

    @Test func malformedSpecialTokensMap() throws {
        let scratch = try Scratch()
        try scratch.writePublished()
        try scratch.write("special_tokens_map.json", #"{"pad_token": ["!"]}"#)
        let error = try #require(throws: TokenizerError.self) { try CLIPTokenizer(folder: scratch.folder) }
        #expect(error.description.hasPrefix(scratch.path("special_tokens_map.json") + ": invalid value for 'pad_token'"))
    }

    @Test func tokenizerJSONProblems() throws {
        let scratch = try Scratch()
        try scratch.write("tokenizer_config.json", "{}")
        let cases: [(String, String)] = [
            (#"{"model": {"type": "WordPiece", "vocab": {}, "merges": []}}"#, "model.type"),
            (#"{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a b c"]}}"#, "model.merges[0]"),
            (#"{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": [["a", 1]]}}"#, "model.merges[0]"),
            (#"{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": [["a", "b"]]}}"#, "model.merges[0]"),
            (#"{"model": {"type": "BPE", "vocab": {"a": 0}}}"#, "model.merges"),
            (#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "added_tokens": [{"id": 1}]}"#,
             "added_tokens[0].content"),
        ]
        for (json, key) in cases {
            try scratch.write("tokenizer.json", json)
            let error = try #require(throws: TokenizerError.self) { try CLIPTokenizer(folder: scratch.folder) }
            guard case .invalidValue(let path, let reportedKey, _) = error else {
                Issue.record("unexpected \(error) for \(json)")
                continue
            }
            #expect(path == scratch.path("tokenizer.json"))
            #expect(reportedKey == key, "\(error)")
        }
    }

    @Test func errorMessagesAreOneLine() {
        let errors: [TokenizerError] = [
            .missingFolder(path: "/m/tokenizer"),
            .missingFile(path: "/m/tokenizer/vocab.json"),
            .unrecognizedLayout(folder: "/m", contents: []),
            .unreadableFile(path: "/m/x", reason: "denied"),
            .malformedJSON(path: "/m/x.json", reason: "bad"),
            .invalidValue(path: "/m/x.json", key: "k", reason: "bad"),
            .malformedMerge(path: "/m/merges.txt", line: 3, reason: "bad"),
            .missingResource(name: "clip/vocab.json"),
        ]
        for error in errors {
            #expect(!error.description.contains("\n"))
            #expect(!error.description.isEmpty)
        }
    }
}
