import Testing
@testable import Tokenizer

/// One tokenizer value shared by concurrent tasks gives the same ids as sequential use.
@Suite struct ConcurrencyTests {
    @Test func concurrentTasksAgreeWithSequentialResults() async throws {
        let corpus = try TokenizerFixtures.corpus.get()
        let tokenizer = try TokenizerFixtures.bundledSD1.get()
        let prompts = Array(corpus.prompts.prefix(200))
        let results = await withTaskGroup(of: (Int, [Int]).self) { group in
            // Every prompt twice, so tasks race on the same cache entries.
            for _ in 0..<2 {
                for (index, prompt) in prompts.enumerated() {
                    group.addTask { (index, tokenizer.inputIDs(for: prompt)) }
                }
            }
            var collected: [(Int, [Int])] = []
            for await result in group { collected.append(result) }
            return collected
        }
        #expect(results.count == prompts.count * 2)
        for (index, ids) in results {
            #expect(ids == corpus.sd1.inputIDs[index], "\(String(reflecting: prompts[index]))")
        }
        #expect(tokenizer.cachedWordCount > 0 && tokenizer.cachedWordCount <= BPECache.defaultCapacity)
    }
}
