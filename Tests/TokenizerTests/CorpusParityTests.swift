import Foundation
import Testing
@testable import Tokenizer

/// Ids identical to transformers' `CLIPTokenizer` (5.23, as diffusers calls it) on the whole parity
/// corpus (784 prompts: English, tag lists with weights, punctuation, numbers, contractions, accented
/// Latin, CJK, other scripts, emoji, HTML entities, whitespace and control characters, special-token
/// strings, empty prompts, prompts far longer than 77 tokens, random mixtures). Exact equality: ids
/// are integers, no tolerance.
@Suite struct CorpusParityTests {
    @Test func corpusCoversAtLeastFiveHundredPrompts() throws {
        let corpus = try TokenizerFixtures.corpus.get()
        #expect(corpus.prompts.count >= 500)
        #expect(corpus.prompts.contains(""))
        #expect(corpus.sd1.contentIDs.contains { $0.count > 75 })
    }

    @Test(arguments: ["sd1", "sd2", "sd1-transformers5", "bundled-sd1", "bundled-sd2"])
    func inputIDsMatchTransformers(_ source: String) throws {
        let corpus = try TokenizerFixtures.corpus.get()
        let tokenizer: CLIPTokenizer
        switch source {
        case "sd1": tokenizer = try TokenizerFixtures.sd1.get()
        case "sd2": tokenizer = try TokenizerFixtures.sd2.get()
        case "bundled-sd1": tokenizer = try TokenizerFixtures.bundledSD1.get()
        case "bundled-sd2": tokenizer = try CLIPTokenizer.bundled(padding: .exclamationMark)
        default: tokenizer = try CLIPTokenizer(folder: TokenizerFixtures.folder(source))
        }
        let expected = source.hasSuffix("sd2") ? corpus.sd2 : corpus.sd1
        let actual = corpus.prompts.map { tokenizer.inputIDs(for: $0) }
        #expect(actual == expected.inputIDs, "\(TokenizerFixtures.mismatches(corpus.prompts, actual, expected.inputIDs))")
    }

    @Test(arguments: CLIPPadding.allCases)
    func contentIDsMatchTransformers(_ padding: CLIPPadding) throws {
        let corpus = try TokenizerFixtures.corpus.get()
        let tokenizer = try (padding == .endOfText ? TokenizerFixtures.sd1 : TokenizerFixtures.sd2).get()
        let expected = padding == .endOfText ? corpus.sd1 : corpus.sd2
        let actual = corpus.prompts.map { tokenizer.contentIDs(for: $0) }
        #expect(actual == expected.contentIDs, "\(TokenizerFixtures.mismatches(corpus.prompts, actual, expected.contentIDs))")
    }

    @Test func specialTokensAndLengthComeFromTheFiles() throws {
        let sd1 = try TokenizerFixtures.sd1.get(), sd2 = try TokenizerFixtures.sd2.get()
        for tokenizer in [sd1, sd2] {
            #expect(tokenizer.maximumLength == 77)
            #expect(tokenizer.beginningOfSequenceID == 49406)
            #expect(tokenizer.endOfSequenceID == 49407)
            #expect(tokenizer.vocabularySize == 49408)
        }
        #expect(sd1.paddingID == 49407)
        #expect(sd2.paddingID == 0)
        // SD 1.x's plain-string pad token re-registers <|endoftext|> as matched in the raw text only;
        // SD 2.x keeps the AddedToken objects' normalized matching and adds `!` as a special token.
        #expect(sd1.addedTokens[49407]?.normalized == false)
        #expect(sd1.addedTokens[49406]?.normalized == true)
        #expect(sd2.addedTokens[49407]?.normalized == true)
        #expect(sd2.addedTokens[0] == AddedToken("!", special: true))
        #expect(sd1.id(of: "<|startoftext|>") == 49406)
        #expect(sd1.id(of: "cat</w>") == 2368)
        #expect(sd1.id(of: "no such token") == nil)
    }
}
