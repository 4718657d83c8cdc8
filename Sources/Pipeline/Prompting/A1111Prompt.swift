/// What A1111's web UI takes out of a positive prompt before encoding it: the `<KIND:…>` extra-network
/// tags (removed, and reported here so the caller can apply the LoRAs they name), and whether the prompt
/// uses composable diffusion's `AND`, which the SDK does not implement.
///
/// The negative prompt is not analysed: the web UI removes tags from the positive prompt only (in a
/// negative prompt they are ordinary text).
public struct A1111Prompt: Sendable, Equatable {
    /// The prompt as typed.
    public var original: String
    /// The prompt without its extra-network tags: the text that is parsed and encoded.
    public var text: String
    /// Every `<KIND:ARG…>` tag, in order.
    public var extraNetworks: [ExtraNetworkTag]

    /// Analyses a positive prompt.
    /// - Parameter prompt: the prompt as typed.
    public init(_ prompt: String) {
        original = prompt
        (text, extraNetworks) = ExtraNetworkTag.extract(from: prompt)
    }

    /// The `<lora:NAME:W>` tags (tags of other kinds, and `lora` tags without a name, are left out).
    public var loras: [LoRAPromptTag] { extraNetworks.compactMap(\.lora) }

    /// Whether the text contains `AND` as a word (A1111's `\bAND\b`), which the web UI treats as
    /// composable diffusion (sub-prompts denoised separately and combined with weights). The SDK encodes
    /// such a prompt as one text, `AND` included (CLIP lowercases it to the word "and").
    public var usesComposableAND: Bool {
        let s = Array(text.unicodeScalars)
        let word = Array("AND".unicodeScalars)
        guard s.count >= word.count else { return false }
        for q in 0...(s.count - word.count) where Array(s[q..<(q + word.count)]) == word {
            let before = q == 0 || !PythonCharacters.isWordCharacter(s[q - 1])
            let after = q + word.count == s.count || !PythonCharacters.isWordCharacter(s[q + word.count])
            if before && after { return true }
        }
        return false
    }
}
