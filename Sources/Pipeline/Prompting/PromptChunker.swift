import Tokenizer

/// One text-encoder window of an A1111-style prompt: BOS, up to 75 ids, EOS and padding, and a weight per
/// position.
public struct PromptChunk: Sendable, Equatable {
    /// `maximumLength` token ids (77 for CLIP), padded as the text encoder reads them.
    public var ids: [Int]
    /// One multiplier per id (1 for BOS, EOS and padding).
    public var multipliers: [Float]

    /// A chunk.
    /// - Parameters:
    ///   - ids: the window's ids.
    ///   - multipliers: one weight per id.
    public init(ids: [Int], multipliers: [Float]) {
        self.ids = ids
        self.multipliers = multipliers
    }

    /// Whether every multiplier is 1 (the chunk's encoding is then used unchanged).
    public var isUnweighted: Bool { multipliers.allSatisfy { $0 == 1 } }
}

/// A1111's chunking (`FrozenCLIPEmbedderWithCustomWordsBase.tokenize_line`, comma back-tracking 20): each
/// weighted fragment is tokenized on its own through the tokenizer (so added tokens, such as
/// textual-inversion ones, work), the ids are packed into chunks of `maximumLength − 2`; when a chunk is
/// full and the last `,` of it lies within the last 20 ids, the ids after that comma move to the next chunk;
/// `BREAK` closes the current chunk. Each chunk is framed as BOS + ids + EOS, then EOS-padded to its length;
/// where the tokenizer pads with another id (SD 2.x pads with 0), everything after the first EOS becomes that
/// id, as A1111 does.
public struct PromptChunker: Sendable {
    /// The tokenizer the fragments go through.
    public let tokenizer: any PromptTokenizer
    /// How far back (in ids) a comma may be to move the chunk's tail to the next chunk (A1111's
    /// `comma_padding_backtrack`, 20 by default; 0 turns it off).
    public var commaBacktrack = 20

    private let commaID: Int?

    /// A chunker for a tokenizer.
    /// - Parameter tokenizer: the model's tokenizer.
    public init(tokenizer: any PromptTokenizer) {
        self.tokenizer = tokenizer
        // A1111 looks up `,</w>`; a lone comma tokenizes to exactly that id.
        let comma = tokenizer.contentIDs(for: ",")
        commaID = comma.count == 1 ? comma[0] : nil
    }

    /// Ids per chunk between BOS and EOS (75 for CLIP).
    public var chunkLength: Int { tokenizer.maximumLength - 2 }

    /// The chunks of one prompt text (after prompt editing is resolved).
    /// - Parameter fragments: the text's weighted fragments (``EmphasisParser/fragments(of:)``).
    /// - Returns: at least one chunk, and the token count A1111 reports (content ids, 75 per full chunk).
    public func chunks(of fragments: [WeightedPromptFragment]) -> (chunks: [PromptChunk], tokenCount: Int) {
        var chunks: [PromptChunk] = []
        var ids: [Int] = []
        var weights: [Float] = []
        var tokenCount = 0
        var lastComma = -1

        func nextChunk(isLast: Bool = false) {
            tokenCount += isLast ? ids.count : chunkLength
            let missing = chunkLength - ids.count
            if missing > 0 {
                ids += repeatElement(tokenizer.endOfSequenceID, count: missing)
                weights += repeatElement(1, count: missing)
            }
            var framed = [tokenizer.beginningOfSequenceID] + ids + [tokenizer.endOfSequenceID]
            if tokenizer.paddingID != tokenizer.endOfSequenceID, let end = framed.firstIndex(of: tokenizer.endOfSequenceID) {
                for index in (end + 1)..<framed.count { framed[index] = tokenizer.paddingID }
            }
            chunks.append(PromptChunk(ids: framed, multipliers: [1] + weights + [1]))
            lastComma = -1
            ids = []
            weights = []
        }

        for fragment in fragments {
            if fragment.isBreak {
                nextChunk()
                continue
            }
            let weight = Float(fragment.weight)
            for token in tokenizer.contentIDs(for: fragment.text) {
                if token == commaID {
                    lastComma = ids.count
                } else if commaBacktrack != 0, ids.count == chunkLength, lastComma != -1,
                          ids.count - lastComma <= commaBacktrack {
                    let cut = lastComma + 1
                    let movedIDs = Array(ids[cut...])
                    let movedWeights = Array(weights[cut...])
                    ids.removeSubrange(cut...)
                    weights.removeSubrange(cut...)
                    nextChunk()
                    ids = movedIDs
                    weights = movedWeights
                }
                if ids.count == chunkLength { nextChunk() }
                ids.append(token)
                weights.append(weight)
            }
        }
        if !ids.isEmpty || chunks.isEmpty { nextChunk(isLast: true) }
        return (chunks, tokenCount)
    }

    /// A chunk with no content (BOS, then EOS and padding), which A1111 uses to give every text of a batch
    /// the same number of chunks.
    public var emptyChunk: PromptChunk {
        chunks(of: [WeightedPromptFragment(text: "", weight: 1)]).chunks[0]
    }
}
