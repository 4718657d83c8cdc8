import Testing
@testable import Tokenizer

/// The stages on their own, on cases whose answer follows from the reference's definitions.
@Suite struct PipelineStageTests {
    private func words(_ text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        return PreTokenizer.pieces(of: scalars).map { String(String.UnicodeScalarView($0)) }
    }

    @Test func clipPatternSplits() {
        #expect(words("it's a dog's life") == ["it", "'s", "a", "dog", "'s", "life"])
        #expect(words("''s x'll y'd") == ["''", "s", "x", "'ll", "y", "'d"])
        #expect(words("abc123 4.5") == ["abc", "1", "2", "3", "4", ".", "5"])
        #expect(words("!<|endoftext|> hi") == ["!<|", "endoftext", "|>", "hi"])
        // The literal becomes one CLIP word, then the byte-level pattern splits it in three.
        #expect(words("<|endoftext|>") == ["<|", "endoftext", "|>"])
        #expect(words("  \u{3000} ") == [])
        #expect(words("i\u{307}stanbul") == ["i", "\u{307}", "stanbul"])
    }

    @Test func normalizerComposesCollapsesAndLowercases() {
        func normalized(_ text: String) -> [UInt32] {
            TextNormalizer.normalize(ArraySlice(text.unicodeScalars)).map(\.value)
        }
        #expect(normalized("Cafe\u{301}") == Array("café".unicodeScalars.map(\.value)))
        #expect(normalized(" a \t\n b ") == Array(" a b ".unicodeScalars.map(\.value)))
        #expect(normalized("İ") == [0x69, 0x307])
        #expect(normalized("ΣΑΣ") == [0x3C3, 0x3B1, 0x3C3])
        #expect(normalized("ẞ") == [0xDF])
        #expect(normalized("\u{212B}") == [0xE5])
    }

    @Test func byteLevelAlphabetIsGPT2s() {
        let characters = ByteLevelAlphabet.characters
        #expect(characters.count == 256 && Set(characters).count == 256)
        #expect(characters[Int(UInt8(ascii: "a"))] == "a")
        #expect(characters[0] == "\u{100}")
        #expect(characters[Int(UInt8(ascii: " "))] == "\u{120}")
        #expect(characters[0xAD] == "\u{143}")
    }

    /// A vocabulary where the two merge orders matter: "a a" (rank 0) and "aa a" (rank 1).
    private func tinyModel() -> BytePairModel {
        var vocabulary: [String: Int] = [:]
        for (index, character) in ByteLevelAlphabet.characters.enumerated() {
            vocabulary[String(character)] = index
            vocabulary[String(character) + "</w>"] = index + 256
        }
        vocabulary["aa"] = 512
        vocabulary["aaa</w>"] = 513
        vocabulary["aa</w>"] = 514
        let a = vocabulary["a"]!, aEnd = vocabulary["a</w>"]!
        return BytePairModel(vocabulary: vocabulary,
                             merges: [(a, a, 512), (512, aEnd, 513), (a, aEnd, 514)], unknownToken: nil)
    }

    @Test func mergesFollowRankThenPosition() {
        let model = tinyModel()
        func encode(_ text: String) -> [Int] {
            var ids: [Int] = []
            model.encode(ArraySlice(text.unicodeScalars), into: &ids)
            return ids
        }
        let a = Int(UInt8(ascii: "a"))
        // "aaa": (a,a) at 0 first → [aa, a</w>] → (aa, a</w>) → aaa</w>.
        #expect(encode("aaa") == [513])
        // "aaaa": (a,a) at 0, then at 2 → [aa, a, a</w>]; (aa,a) has no rule; (a,a</w>) → [aa, aa</w>].
        #expect(encode("aaaa") == [512, 514])
        #expect(encode("a") == [a + 256])
        #expect(encode("") == [])
        // Cached results are the same.
        #expect(encode("aaaa") == [512, 514])
        #expect(model.cache.count == 3)
    }

    @Test func unknownSymbolsAreNotFused() {
        let model = BytePairModel(vocabulary: ["a": 0, "b</w>": 1, "<unk>": 2], merges: [], unknownToken: "<unk>")
        var ids: [Int] = []
        model.encode(ArraySlice("aééb".unicodeScalars), into: &ids)
        // é is two bytes, each unknown: four unknown ids, one per byte.
        #expect(ids == [0, 2, 2, 2, 2, 1])
        let dropping = BytePairModel(vocabulary: ["a": 0], merges: [], unknownToken: nil)
        ids = []
        dropping.encode(ArraySlice("ab".unicodeScalars), into: &ids)
        #expect(ids == [0])
    }

    /// The behaviours of the reference's own added-vocabulary tests (tokenizers'
    /// added_vocabulary.rs: `options_use_cases`, `test_single_word_is_correct`), with CLIP's normalizer.
    @Test func addedTokenOptions() {
        let splitter = AddedTokenSplitter(tokens: [
            (AddedToken("[CLS]", special: true), 3), (AddedToken("[SEP]", special: true), 4),
            (AddedToken("my", stripsLeft: true, stripsRight: true), 0), (AddedToken("name"), 1),
            (AddedToken("ony", singleWord: true), 2),
        ], splitsSpecialTokens: false)
        let segments = splitter.segments(of: Array("[CLS] My name is Anthony [SEP]".unicodeScalars))
        func text(_ string: String) -> AddedTokenSplitter.Segment { .text(Array(string.unicodeScalars)) }
        #expect(segments == [.token(3), .token(0), .token(1), text(" is anthony "), .token(4)])

        let mask = AddedTokenSplitter(tokens: [(AddedToken("<mask>", singleWord: true), 0)], splitsSpecialTokens: false)
        #expect(mask.segments(of: Array("<mask> My name <mask> A<mask> <mask>ony <mask>".unicodeScalars))
            == [.token(0), text(" my name "), .token(0), text(" a<mask> <mask>ony "), .token(0)])
    }

    @Test func splitSpecialTokensLeavesThemInTheText() {
        let tokens: [(token: AddedToken, id: Int)] = [(AddedToken("<x>", special: true), 9), (AddedToken("<y>"), 8)]
        let splitter = AddedTokenSplitter(tokens: tokens, splitsSpecialTokens: true)
        #expect(splitter.segments(of: Array("a<x>b<y>".unicodeScalars))
            == [.text(Array("a<x>b".unicodeScalars)), .token(8)])
    }
}
