import Foundation
import Testing
@testable import Tokenizer

/// Broken tokenizer folders beyond `LoadingErrorTests` (empty and non-object vocabularies, names
/// with control characters), and prompts no tokenizer should choke on.
@Suite("Malformed input: tokenizer")
struct MalformedInputTokenizerTests {
    typealias Scratch = LoadingErrorTests.Scratch

    @Test("An empty vocab.json is malformed JSON naming the file")
    func emptyVocabulary() throws {
        let scratch = try Scratch()
        try scratch.writePublished()
        try scratch.write("vocab.json", "")
        let error = try #require(throws: TokenizerError.self) { try CLIPTokenizer(folder: scratch.folder) }
        guard case .malformedJSON(let path, _) = error else {
            Issue.record("expected malformedJSON, got \(error)")
            return
        }
        #expect(path == scratch.path("vocab.json"))
    }

    @Test("A vocab.json that is an array, not an object, names the file")
    func vocabularyArray() throws {
        let scratch = try Scratch()
        try scratch.writePublished()
        try scratch.write("vocab.json", #"["a", "b"]"#)
        let error = try #require(throws: TokenizerError.self) { try CLIPTokenizer(folder: scratch.folder) }
        switch error {
        case .malformedJSON(let path, _), .invalidValue(let path, _, _): #expect(path == scratch.path("vocab.json"))
        default: Issue.record("expected an error naming vocab.json, got \(error)")
        }
    }

    @Test("A vocabulary token holding a line break is named escaped, on one line")
    func hostileTokenInMessage() throws {
        let scratch = try Scratch()
        try scratch.writePublished()
        try scratch.write("vocab.json", #"{"a": 0, "b": 1, "ab": 2, "evil\nline\u001b[31m": -5}"#)
        let error = try #require(throws: TokenizerError.self) { try CLIPTokenizer(folder: scratch.folder) }
        guard case .invalidValue(_, let key, let reason) = error else {
            Issue.record("expected invalidValue, got \(error)")
            return
        }
        #expect(key == "evil\nline\u{1B}[31m")
        #expect(reason.contains("-5"))
        #expect(!error.description.contains { $0.isNewline })
        #expect(error.description.contains(#"'evil\nline\u{1B}[31m'"#))
    }

    @Test("A merges.txt line broken by a vertical tab or a lone carriage return is reported on one line")
    func controlCharactersInMerges() throws {
        let scratch = try Scratch()
        try scratch.writePublished()
        try scratch.write("merges.txt", "#version: 0.2\na b\u{0B}a b</w>\n")
        let error = try #require(throws: TokenizerError.self) { try CLIPTokenizer(folder: scratch.folder) }
        guard case .malformedMerge(_, let line, _) = error else {
            Issue.record("expected malformedMerge, got \(error)")
            return
        }
        #expect(line == 2)
        #expect(!error.description.contains { $0.isNewline })
        try scratch.write("merges.txt", "#version: 0.2\na\rb c\n")
        let carriageReturn = try #require(throws: TokenizerError.self) { try CLIPTokenizer(folder: scratch.folder) }
        #expect(!carriageReturn.description.contains { $0.isNewline })
    }

    @Test("Any text tokenizes into one framed window; long text into several (no trap, no hang)")
    func arbitraryText() throws {
        let tokenizer = try CLIPTokenizer.bundled()
        let texts = [
            "", " ", "\u{0}", String(decoding: [0xFF, 0xFE, 0xC3, 0x28, 0xE2, 0x82], as: UTF8.self),
            String(repeating: "\u{301}", count: 500), String(repeating: "🐱‍👤", count: 200),
            "<|endoftext|><|startoftext|>" + String(repeating: "<|endoftext|>", count: 100),
            String(repeating: "a", count: 20_000), String(repeating: "'s", count: 3_000),
        ]
        for text in texts {
            let ids = tokenizer.inputIDs(for: text)
            #expect(ids.count == tokenizer.maximumLength)
            #expect(ids.first == tokenizer.beginningOfSequenceID)
            let windows = tokenizer.windowedInputIDs(for: text)
            #expect(windows.allSatisfy { $0.count == tokenizer.maximumLength })
            #expect(windows.count * (tokenizer.maximumLength - 2) >= tokenizer.contentIDs(for: text).count)
        }
    }
}
