/// A token matched in the text before normalization and BPE, as the `tokenizers` library's
/// `AddedToken`: CLIP's special tokens (`<|startoftext|>`, `<|endoftext|>`, SD 2.x's `!`) and any
/// token a model folder adds.
public struct AddedToken: Sendable, Hashable {
    /// The text the token stands for.
    public var content: String
    /// Only match where no word character touches it on either side.
    public var singleWord: Bool
    /// Take the whitespace on its left into the match.
    public var stripsLeft: Bool
    /// Take the whitespace on its right into the match.
    public var stripsRight: Bool
    /// Match in the normalized text (lowercased, …) rather than in the raw text.
    public var normalized: Bool
    /// A special token: left as text when `split_special_tokens` is set.
    public var special: Bool

    /// Creates an added token. As in `tokenizers`, a special token is matched in the raw text unless
    /// told otherwise.
    /// - Parameters:
    ///   - content: the text the token stands for.
    ///   - singleWord: only match a whole word.
    ///   - stripsLeft: take the whitespace on its left into the match.
    ///   - stripsRight: take the whitespace on its right into the match.
    ///   - normalized: match in the normalized text; defaults to `!special`.
    ///   - special: whether it is a special token.
    public init(_ content: String, singleWord: Bool = false, stripsLeft: Bool = false, stripsRight: Bool = false,
                normalized: Bool? = nil, special: Bool = false) {
        self.content = content
        self.singleWord = singleWord
        self.stripsLeft = stripsLeft
        self.stripsRight = stripsRight
        self.normalized = normalized ?? !special
        self.special = special
    }
}
