/// CLIP's byte-level BPE tokenizer, giving the ids transformers' `CLIPTokenizer` (5.x, the
/// `tokenizers` backend) gives when diffusers loads a model folder and calls it with
/// `padding="max_length", max_length=model_max_length, truncation=True`.
///
/// The steps, per prompt:
/// 1. added tokens (the special tokens) are cut out: those marked not-normalized from the raw text,
///    the others after step 2;
/// 2. each remaining piece is normalized: NFC, whitespace runs → one space, lowercase
///    (no ftfy, no HTML unescaping, as in transformers 5);
/// 3. CLIP's pattern splits it into words (contractions, letter runs, single digits, other runs),
///    dropping whitespace, and GPT-2's byte-level pattern splits those once more;
/// 4. each word's UTF-8 bytes are mapped to GPT-2's byte alphabet and merged by rank, `</w>` marking
///    the word's end (results are cached per word);
/// 5. `inputIDs(for:)` keeps the first `maximumLength − 2` ids, adds BOS and EOS and pads.
///
/// A value is immutable apart from its BPE cache, which is lock-protected: share it freely between
/// tasks. Create one with `init(folder:)` from a model's `tokenizer/` folder or with `bundled(padding:)`.
public struct CLIPTokenizer: PromptTokenizer {
    /// `model_max_length` of tokenizer_config.json (77 for Stable Diffusion).
    public let maximumLength: Int
    /// The id of `bos_token` (`<|startoftext|>`, 49406).
    public let beginningOfSequenceID: Int
    /// The id of `eos_token` (`<|endoftext|>`, 49407).
    public let endOfSequenceID: Int
    /// The id of `pad_token`: 49407 for SD 1.x, 0 (`!`) for SD 2.x.
    public let paddingID: Int
    /// The special and other added tokens by id, with the settings they are matched with
    /// (transformers' `added_tokens_decoder`).
    public let addedTokens: [Int: AddedToken]

    private let model: BytePairModel
    private let splitter: AddedTokenSplitter
    /// The added tokens in registration order (what `addingTokens(_:)` extends).
    private let registeredTokens: [(token: AddedToken, id: Int)]
    private let splitsSpecialTokens: Bool

    /// Assembles a tokenizer from already validated parts (see `CLIPTokenizer+Loading.swift`).
    /// - Parameter addedTokens: in registration order, each with its final settings.
    init(model: BytePairModel, addedTokens: [(token: AddedToken, id: Int)], splitsSpecialTokens: Bool,
         maximumLength: Int, beginningOfSequenceID: Int, endOfSequenceID: Int, paddingID: Int) {
        self.model = model
        self.registeredTokens = addedTokens
        self.splitsSpecialTokens = splitsSpecialTokens
        self.addedTokens = Dictionary(addedTokens.map { ($0.id, $0.token) }, uniquingKeysWith: { _, last in last })
        self.splitter = AddedTokenSplitter(tokens: addedTokens, splitsSpecialTokens: splitsSpecialTokens)
        self.maximumLength = maximumLength
        self.beginningOfSequenceID = beginningOfSequenceID
        self.endOfSequenceID = endOfSequenceID
        self.paddingID = paddingID
    }

    /// The number of entries in the BPE vocabulary (49,408 for CLIP).
    public var vocabularySize: Int { model.vocabulary.count }

    /// The id of a token, as `convert_tokens_to_ids` finds it: added tokens first, then the
    /// vocabulary (spelled in GPT-2's byte alphabet, with `</w>` on word ends).
    /// - Parameter token: the token's text.
    /// - Returns: its id, or nil when neither knows it.
    public func id(of token: String) -> Int? {
        addedTokens.first(where: { $0.value.content == token })?.key ?? model.vocabulary[token]
    }

    /// The ids of the prompt's text (steps 1–4), without BOS, EOS, truncation or padding: transformers'
    /// `tokenizer(text, add_special_tokens=False).input_ids`.
    /// - Parameter text: the prompt.
    /// - Returns: the ids, possibly more than fit in one window.
    public func contentIDs(for text: String) -> [Int] {
        var ids: [Int] = []
        for segment in splitter.segments(of: Array(text.unicodeScalars)) {
            switch segment {
            case .token(let id):
                ids.append(id)
            case .text(let normalized):
                for piece in PreTokenizer.pieces(of: normalized) {
                    model.encode(piece, into: &ids)
                }
            }
        }
        return ids
    }

    /// Whether `token` is already a token: an added token's content or a vocabulary entry
    /// (transformers' `token in tokenizer.get_vocab()`).
    /// - Parameter token: the token's text.
    public func contains(token: String) -> Bool { id(of: token) != nil }

    /// A tokenizer with more added tokens, as transformers' `tokenizer.add_tokens(tokens)` registers
    /// them (not special, matched in the normalized text, anywhere in a word), with ids from
    /// `len(tokenizer)` on. The vocabulary and its cache are shared, not copied.
    /// - Parameter contents: the tokens' texts, none of which may be a token already (check with
    ///   `contains(token:)`).
    /// - Returns: the tokenizer and each new token's id, in order.
    public func addingTokens(_ contents: [String]) -> (tokenizer: CLIPTokenizer, ids: [Int]) {
        var next = max(model.vocabulary.count, (registeredTokens.map(\.id).max() ?? -1) + 1)
        var tokens = registeredTokens
        var ids: [Int] = []
        for content in contents {
            precondition(!contains(token: content) && !tokens.contains { $0.token.content == content },
                         "addingTokens: '\(content)' is already a token")
            tokens.append((AddedToken(content), next))
            ids.append(next)
            next += 1
        }
        let tokenizer = CLIPTokenizer(model: model, addedTokens: tokens, splitsSpecialTokens: splitsSpecialTokens,
                                      maximumLength: maximumLength, beginningOfSequenceID: beginningOfSequenceID,
                                      endOfSequenceID: endOfSequenceID, paddingID: paddingID)
        return (tokenizer, ids)
    }

    /// How many words the BPE cache holds (for diagnostics).
    var cachedWordCount: Int { model.cache.count }
}
