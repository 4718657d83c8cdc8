import Foundation
import Testing
@testable import Tokenizer

/// Folder variants found in the wild, each against transformers' ids for the special-token, empty,
/// punctuation and long prompts: a transformers ≥ 4.34 `added_tokens_decoder` config (which makes
/// transformers ignore special_tokens_map.json), `split_special_tokens: true`, and extra special tokens
/// (a model-specific `image_token`, `additional_special_tokens`).
@Suite struct VariantTests {
    struct Variants: Decodable {
        var prompts: [String]
        var addedTokensDecoder: [[Int]]
        var splitSpecialTokens: [[Int]]
        var extraSpecialTokens: [[Int]]

        enum CodingKeys: String, CodingKey {
            case prompts
            case addedTokensDecoder = "sd2-added-tokens-decoder"
            case splitSpecialTokens = "sd1-split-special-tokens"
            case extraSpecialTokens = "sd1-extra-special-tokens"
        }
    }

    @Test func addedTokensDecoderConfig() throws {
        let variants = try TokenizerFixtures.decode(Variants.self, "variants.json")
        let tokenizer = try CLIPTokenizer(folder: TokenizerFixtures.folder("sd2-added-tokens-decoder"))
        #expect(tokenizer.paddingID == 0)
        let actual = variants.prompts.map { tokenizer.inputIDs(for: $0) }
        #expect(actual == variants.addedTokensDecoder,
                "\(TokenizerFixtures.mismatches(variants.prompts, actual, variants.addedTokensDecoder))")
    }

    @Test func splitSpecialTokensConfig() throws {
        let variants = try TokenizerFixtures.decode(Variants.self, "variants.json")
        let tokenizer = try CLIPTokenizer(folder: TokenizerFixtures.folder("sd1-split-special-tokens"))
        let actual = variants.prompts.map { tokenizer.inputIDs(for: $0) }
        #expect(actual == variants.splitSpecialTokens,
                "\(TokenizerFixtures.mismatches(variants.prompts, actual, variants.splitSpecialTokens))")
        // The literal is text here: never the special id in the content.
        #expect(!tokenizer.contentIDs(for: "a<|endoftext|>b").contains(49407))
    }

    @Test func extraSpecialTokensConfig() throws {
        let variants = try TokenizerFixtures.decode(Variants.self, "variants.json")
        let tokenizer = try CLIPTokenizer(folder: TokenizerFixtures.folder("sd1-extra-special-tokens"))
        #expect(tokenizer.id(of: "<img>") == 49408)
        #expect(tokenizer.id(of: "<x>") == 49409)
        let actual = variants.prompts.map { tokenizer.inputIDs(for: $0) }
        #expect(actual == variants.extraSpecialTokens,
                "\(TokenizerFixtures.mismatches(variants.prompts, actual, variants.extraSpecialTokens))")
    }
}
