import Foundation
import Tokenizer
import _TestSupport

/// The committed tokenizer fixtures (written by Tests/Fixtures/generators/tokenizer.py).
enum TokenizerFixtures {
    struct Expected: Decodable {
        /// diffusers' 77 ids per prompt.
        var inputIDs: [[Int]]
        /// The untruncated ids without BOS/EOS.
        var contentIDs: [[Int]]

        enum CodingKeys: String, CodingKey {
            case inputIDs = "input_ids"
            case contentIDs = "content_ids"
        }
    }

    struct Corpus: Decodable {
        var prompts: [String]
        var sd1: Expected
        var sd2: Expected
    }

    static func folder(_ name: String) -> URL {
        URL(fileURLWithPath: Fixtures.path("tokenizer/\(name)"))
    }

    static func decode<T: Decodable>(_ type: T.Type, _ name: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(contentsOf: URL(fileURLWithPath: Fixtures.path("tokenizer/\(name)"))))
    }

    static let corpus: Result<Corpus, any Error> = Result { try decode(Corpus.self, "corpus.json") }

    /// Loaded once per test process: parsing the vocabulary takes a moment in debug builds.
    static let sd1: Result<CLIPTokenizer, any Error> = Result { try CLIPTokenizer(folder: folder("sd1")) }
    static let sd2: Result<CLIPTokenizer, any Error> = Result { try CLIPTokenizer(folder: folder("sd2")) }
    static let bundledSD1: Result<CLIPTokenizer, any Error> = Result { try CLIPTokenizer.bundled(padding: .endOfText) }

    /// Describes the first few prompts whose ids differ, for a failure message.
    static func mismatches(_ prompts: [String], _ actual: [[Int]], _ expected: [[Int]], limit: Int = 5) -> String {
        var lines: [String] = []
        for index in prompts.indices where actual[index] != expected[index] {
            if lines.count == limit { lines.append("…"); break }
            lines.append("\(String(reflecting: prompts[index])): got \(actual[index]), expected \(expected[index])")
        }
        return lines.joined(separator: "\n")
    }
}
