import Testing
@testable import Tokenizer

/// Long prompts: 77-id windows of BOS + up to 75 content ids + EOS, padded; checked against the
/// untruncated ids transformers gives for the corpus.
@Suite struct WindowTests {
    @Test(arguments: CLIPPadding.allCases)
    func windowsCoverTheContentInOrder(_ padding: CLIPPadding) throws {
        let corpus = try TokenizerFixtures.corpus.get()
        let tokenizer = try (padding == .endOfText ? TokenizerFixtures.sd1 : TokenizerFixtures.sd2).get()
        let expected = padding == .endOfText ? corpus.sd1 : corpus.sd2
        var longPrompts = 0
        for (index, prompt) in corpus.prompts.enumerated() {
            let windows = tokenizer.windowedInputIDs(for: prompt)
            let content = expected.contentIDs[index]
            #expect(windows.allSatisfy { $0.count == 77 && $0.first == 49406 })
            if content.count <= 75 {
                #expect(windows == [expected.inputIDs[index]], "\(String(reflecting: prompt))")
                continue
            }
            longPrompts += 1
            #expect(windows.count == (content.count + 74) / 75)
            for (number, window) in windows.enumerated() {
                let chunk = content[(number * 75)..<min((number + 1) * 75, content.count)]
                let framed = [49406] + chunk + [49407] + Array(repeating: tokenizer.paddingID, count: 75 - chunk.count)
                #expect(window == framed, "window \(number) of \(String(reflecting: prompt))")
            }
            #expect(windows[0] == expected.inputIDs[index])
        }
        #expect(longPrompts >= 30)
    }

    @Test func emptyPromptGivesOneWindow() throws {
        let tokenizer = try TokenizerFixtures.sd1.get()
        #expect(tokenizer.windowedInputIDs(for: "") == [[49406, 49407] + Array(repeating: 49407, count: 75)])
    }

    /// An app's own tokenizer gets the framing and windowing from the protocol.
    @Test func protocolDefaultsFrameAnyTokenizer() {
        struct Letters: PromptTokenizer {
            let maximumLength = 5
            let beginningOfSequenceID = 100, endOfSequenceID = 101, paddingID = 0
            func contentIDs(for text: String) -> [Int] { text.unicodeScalars.map { Int($0.value) } }
        }
        let tokenizer: any PromptTokenizer = Letters()
        #expect(tokenizer.inputIDs(for: "abcd") == [100, 97, 98, 99, 101])
        #expect(tokenizer.inputIDs(for: "a") == [100, 97, 101, 0, 0])
        #expect(tokenizer.windowedInputIDs(for: "abcdefg") == [[100, 97, 98, 99, 101], [100, 100, 101, 102, 101],
                                                              [100, 103, 101, 0, 0]])
    }
}
