import Foundation
import Tokenizer

/// A tokenizer carrying multi-vector textual-inversion tokens: before tokenizing, each such token
/// found in the prompt is replaced by its n tokens (`tok` → `tok tok_1 … tok_{n-1}`, plain string
/// replacement), as diffusers' `maybe_convert_prompt` does for the prompt and the negative prompt.
struct MultiVectorTokenizer: PromptTokenizer {
    /// One multi-vector token.
    struct Expansion: Sendable {
        /// The token the prompt uses.
        var token: String
        /// Its id (the first vector's).
        var id: Int
        /// What replaces it.
        var replacement: String
    }

    let base: CLIPTokenizer
    let expansions: [Expansion]

    var maximumLength: Int { base.maximumLength }
    var beginningOfSequenceID: Int { base.beginningOfSequenceID }
    var endOfSequenceID: Int { base.endOfSequenceID }
    var paddingID: Int { base.paddingID }

    /// diffusers replaces a token only when the tokenizer finds it in the prompt (as an added
    /// token), then tokenizes the replaced prompt.
    func contentIDs(for text: String) -> [Int] {
        let found = Set(base.contentIDs(for: text))
        var prompt = text
        for expansion in expansions where found.contains(expansion.id) {
            prompt = prompt.replacingOccurrences(of: expansion.token, with: expansion.replacement)
        }
        return base.contentIDs(for: prompt)
    }
}
