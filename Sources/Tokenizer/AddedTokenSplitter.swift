/// Finds added tokens in a prompt the way the `tokenizers` library's `AddedVocabulary` does: first
/// the tokens marked not-normalized in the raw text, then each remaining piece is normalized and
/// searched for the normalized tokens. Matching is leftmost-longest (its Aho-Corasick automaton);
/// `single_word`, `lstrip` and `rstrip` are honoured; with `split_special_tokens` special tokens are
/// left in the text.
struct AddedTokenSplitter: Sendable {
    /// A piece of the prompt: an added token's id, or normalized text for the pre-tokenizer.
    enum Segment: Equatable {
        case token(Int)
        case text([Unicode.Scalar])
    }

    private struct Pattern: Sendable {
        var scalars: [Unicode.Scalar]
        var id: Int
        var token: AddedToken
    }

    private let rawPatterns: [Pattern]
    private let normalizedPatterns: [Pattern]
    private let splitsSpecialTokens: Bool

    /// - Parameters:
    ///   - tokens: the added tokens with their ids, special tokens first (the reference's order).
    ///   - splitsSpecialTokens: `split_special_tokens`: do not extract special tokens.
    init(tokens: [(token: AddedToken, id: Int)], splitsSpecialTokens: Bool) {
        var raw: [Pattern] = [], normalized: [Pattern] = []
        for (token, id) in tokens where !token.content.isEmpty {
            if token.normalized {
                // The reference normalizes a normalized token's content once, with the same normalizer.
                let content = TextNormalizer.normalize(ArraySlice(token.content.unicodeScalars))
                normalized.append(Pattern(scalars: content, id: id, token: token))
            } else {
                raw.append(Pattern(scalars: Array(token.content.unicodeScalars), id: id, token: token))
            }
        }
        rawPatterns = raw
        normalizedPatterns = normalized.filter { !$0.scalars.isEmpty }
        self.splitsSpecialTokens = splitsSpecialTokens
    }

    /// The prompt cut into added tokens and normalized text, in order.
    func segments(of text: [Unicode.Scalar]) -> [Segment] {
        var segments: [Segment] = []
        for piece in split(text, on: rawPatterns) {
            switch piece {
            case .token(let id, _):
                segments.append(.token(id))
            case .text(let range):
                let normalized = TextNormalizer.normalize(text[range])
                for inner in split(normalized, on: normalizedPatterns) {
                    switch inner {
                    case .token(let id, _): segments.append(.token(id))
                    case .text(let range): segments.append(.text(Array(normalized[range])))
                    }
                }
            }
        }
        return segments
    }

    private enum Split {
        case token(Int, Range<Int>)
        case text(Range<Int>)
    }

    /// `find_matches` of the reference's added_vocabulary.rs.
    private func split(_ sentence: [Unicode.Scalar], on patterns: [Pattern]) -> [Split] {
        if patterns.isEmpty || sentence.isEmpty { return [.text(0..<sentence.count)] }
        var splits: [Split] = []
        var startOffset = 0
        var searchFrom = 0
        while let (matchRange, pattern) = leftmostLongestMatch(in: sentence, from: searchFrom, patterns: patterns) {
            // The automaton resumes after the match whether or not it is kept below.
            searchFrom = matchRange.upperBound
            var start = matchRange.lowerBound, stop = matchRange.upperBound
            let token = pattern.token
            if splitsSpecialTokens && token.special { continue }
            if token.singleWord {
                let spaceBefore = start == 0 || !UnicodeClasses.isWordCharacter(sentence[start - 1])
                let spaceAfter = stop == sentence.count || !UnicodeClasses.isWordCharacter(sentence[stop])
                if !spaceBefore || !spaceAfter { continue }
            }
            if token.stripsLeft {
                var newStart = start
                while newStart > 0 && UnicodeClasses.isWhitespace(sentence[newStart - 1]) { newStart -= 1 }
                start = max(newStart, startOffset)
            }
            if token.stripsRight {
                while stop < sentence.count && UnicodeClasses.isWhitespace(sentence[stop]) { stop += 1 }
            }
            if startOffset < start { splits.append(.text(startOffset..<start)) }
            splits.append(.token(pattern.id, start..<stop))
            startOffset = stop
        }
        if startOffset < sentence.count { splits.append(.text(startOffset..<sentence.count)) }
        return splits
    }

    private func leftmostLongestMatch(in sentence: [Unicode.Scalar], from start: Int,
                                      patterns: [Pattern]) -> (Range<Int>, Pattern)? {
        guard start < sentence.count else { return nil }
        for position in start..<sentence.count {
            var best: Pattern?
            for pattern in patterns where pattern.scalars.count > (best?.scalars.count ?? 0) {
                let end = position + pattern.scalars.count
                if end <= sentence.count && sentence[position..<end].elementsEqual(pattern.scalars) {
                    best = pattern
                }
            }
            if let best { return (position..<(position + best.scalars.count), best) }
        }
        return nil
    }
}
