/// CLIP's pre-tokenizer in transformers 5: a `Split` on
/// `<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+`
/// that keeps the matches and drops the rest (whitespace), then `ByteLevel(add_prefix_space: false)`,
/// whose GPT-2 pattern splits each word once more before its UTF-8 bytes reach BPE.
///
/// Both patterns are ordered alternations tried at each position (leftmost-first, greedy runs), as
/// Oniguruma runs them. The second split only changes the literal special-token strings when they
/// reach this stage as text ("<|endoftext|>" becomes "<|", "endoftext", "|>").
enum PreTokenizer {
    private static let apostrophe: Unicode.Scalar = "'"
    /// The contraction alternatives after the apostrophe, in pattern order.
    private static let contractionSuffixes: [[Unicode.Scalar]] = ["s", "t", "re", "ve", "m", "ll", "d"]
        .map { Array($0.unicodeScalars) }
    private static let specialLiterals: [[Unicode.Scalar]] = ["<|startoftext|>", "<|endoftext|>"]
        .map { Array($0.unicodeScalars) }

    /// The pieces of normalized text that BPE encodes, in order.
    static func pieces(of text: [Unicode.Scalar]) -> [ArraySlice<Unicode.Scalar>] {
        var result: [ArraySlice<Unicode.Scalar>] = []
        for word in clipWords(in: text) {
            for piece in byteLevelPieces(of: text[word]) {
                result.append(text[piece])
            }
        }
        return result
    }

    /// The matches of CLIP's pattern: the text minus its whitespace, cut into words.
    static func clipWords(in text: [Unicode.Scalar]) -> [Range<Int>] {
        var words: [Range<Int>] = []
        var index = 0
        while index < text.count {
            let scalar = text[index]
            // Every non-whitespace scalar starts a match, so only whitespace is skipped.
            if UnicodeClasses.isWhitespace(scalar) {
                index += 1
                continue
            }
            let end: Int
            if let literal = specialLiterals.first(where: { hasPrefix($0, in: text, at: index) }) {
                end = index + literal.count
            } else if let contraction = contractionLength(in: text, at: index) {
                end = index + contraction
            } else if UnicodeClasses.isLetter(scalar) {
                end = runEnd(in: text, from: index, while: UnicodeClasses.isLetter)
            } else if UnicodeClasses.isNumber(scalar) {
                end = index + 1
            } else {
                end = runEnd(in: text, from: index, while: isOther)
            }
            words.append(index..<end)
            index = end
        }
        return words
    }

    /// The GPT-2 split of one word (`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|
    /// \s+(?!\S)|\s+`), as ranges of the word's base collection. Words hold no whitespace, so the
    /// optional leading spaces and the whitespace alternatives never apply.
    static func byteLevelPieces(of word: ArraySlice<Unicode.Scalar>) -> [Range<Int>] {
        var pieces: [Range<Int>] = []
        var index = word.startIndex
        while index < word.endIndex {
            let scalar = word[index]
            let end: Int
            if let contraction = contractionLength(in: word, at: index) {
                end = index + contraction
            } else if UnicodeClasses.isLetter(scalar) {
                end = runEnd(in: word, from: index, while: UnicodeClasses.isLetter)
            } else if UnicodeClasses.isNumber(scalar) {
                end = runEnd(in: word, from: index, while: UnicodeClasses.isNumber)
            } else if UnicodeClasses.isWhitespace(scalar) {
                end = runEnd(in: word, from: index, while: UnicodeClasses.isWhitespace)
            } else {
                end = runEnd(in: word, from: index, while: isOther)
            }
            pieces.append(index..<end)
            index = end
        }
        return pieces
    }

    /// `[^\s\p{L}\p{N}]`
    private static func isOther(_ scalar: Unicode.Scalar) -> Bool {
        !UnicodeClasses.isWhitespace(scalar) && !UnicodeClasses.isLetter(scalar) && !UnicodeClasses.isNumber(scalar)
    }

    private static func contractionLength<C: RandomAccessCollection>(in text: C, at index: Int) -> Int?
    where C.Element == Unicode.Scalar, C.Index == Int {
        guard text[index] == apostrophe else { return nil }
        for suffix in contractionSuffixes where hasPrefix(suffix, in: text, at: index + 1) {
            return suffix.count + 1
        }
        return nil
    }

    private static func hasPrefix<C: RandomAccessCollection>(_ prefix: [Unicode.Scalar], in text: C, at index: Int) -> Bool
    where C.Element == Unicode.Scalar, C.Index == Int {
        guard text.endIndex - index >= prefix.count else { return false }
        for offset in 0..<prefix.count where text[index + offset] != prefix[offset] { return false }
        return true
    }

    private static func runEnd<C: RandomAccessCollection>(in text: C, from index: Int,
                                                          while belongs: (Unicode.Scalar) -> Bool) -> Int
    where C.Element == Unicode.Scalar, C.Index == Int {
        var end = index + 1
        while end < text.endIndex && belongs(text[end]) { end += 1 }
        return end
    }
}
