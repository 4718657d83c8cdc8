/// A1111's emphasis syntax (`prompt_parser.parse_prompt_attention`, the web UI's default "Original"
/// emphasis): the prompt as fragments with weights.
///
/// - `(text)` multiplies by 1.1, `[text]` by 1 / 1.1, `(text:w)` (spaces allowed around `w`) by w; nested
///   brackets multiply.
/// - `\(`, `\)`, `\[`, `\]`, `\\` are literal characters; a backslash before anything else is dropped.
/// - Unclosed `(` / `[` weight everything after them; a closing bracket without an opening one is text.
/// - `BREAK` as a word (upper case, with `\b` word boundaries) becomes a `("BREAK", −1)` fragment.
/// - Neighbouring fragments with equal weights are merged.
///
/// Reproduced code point by code point, with Python's `re` character classes. One deliberate difference:
/// where A1111 raises (a weight Python's `float()` rejects, such as `(a:1.2.3)`, which stops its
/// generation), the bracket's weight is 1, and weights stay finite: any text is a valid prompt here.
public enum EmphasisParser {
    /// The weighted fragments of a prompt (never empty: an empty prompt gives `("", 1)`).
    /// - Parameter text: the prompt (without `<lora:…>` tags and after prompt editing is resolved).
    /// - Returns: the fragments, as `parse_prompt_attention` returns them.
    public static func fragments(of text: String) -> [WeightedPromptFragment] {
        let s = Array(text.unicodeScalars)
        var result: [(text: [Unicode.Scalar], weight: Double)] = []
        var roundBrackets: [Int] = []
        var squareBrackets: [Int] = []
        let roundMultiplier = 1.1
        let squareMultiplier = 1 / 1.1

        func multiplyRange(from start: Int, by multiplier: Double) {
            // Clamped to finite values: where Python's weights overflow to ±inf (weights beyond 1e308), the
            // web UI's conditioning becomes NaN; here they stay finite and the encoder's check reports them.
            for p in start..<result.count {
                result[p].weight = min(max(result[p].weight * multiplier, -.greatestFiniteMagnitude), .greatestFiniteMagnitude)
            }
        }
        func appendText(_ piece: ArraySlice<Unicode.Scalar>) {
            for (index, part) in splitAtBreaks(piece).enumerated() {
                if index > 0 { result.append((Array("BREAK".unicodeScalars), -1)) }
                result.append((part, 1.0))
            }
        }

        var i = 0
        while i < s.count {
            let c = s[i]
            switch c {
            case "\\":
                if i + 1 < s.count, "()[]\\".unicodeScalars.contains(s[i + 1]) {
                    result.append(([s[i + 1]], 1.0))
                    i += 2
                } else {
                    result.append(([], 1.0))  // `\\` alone: A1111 appends the empty rest of the match
                    i += 1
                }
            case "(":
                roundBrackets.append(result.count)
                i += 1
            case "[":
                squareBrackets.append(result.count)
                i += 1
            case ":":
                if let (end, number) = weightClose(s, colon: i) {
                    if let open = roundBrackets.popLast() {
                        multiplyRange(from: open, by: PythonCharacters.float(number) ?? 1)
                    } else {
                        appendText(s[i..<end])
                    }
                    i = end
                } else {
                    appendText(s[i...i])
                    i += 1
                }
            case ")":
                if let open = roundBrackets.popLast() { multiplyRange(from: open, by: roundMultiplier) } else { appendText(s[i...i]) }
                i += 1
            case "]":
                if let open = squareBrackets.popLast() { multiplyRange(from: open, by: squareMultiplier) } else { appendText(s[i...i]) }
                i += 1
            default:
                var end = i
                while end < s.count, !"\\()[]:".unicodeScalars.contains(s[end]) { end += 1 }
                appendText(s[i..<end])
                i = end
            }
        }
        for open in roundBrackets { multiplyRange(from: open, by: roundMultiplier) }
        for open in squareBrackets { multiplyRange(from: open, by: squareMultiplier) }
        if result.isEmpty { result = [([], 1.0)] }

        var merged: [(text: [Unicode.Scalar], weight: Double)] = [result[0]]
        for fragment in result.dropFirst() {
            if merged[merged.count - 1].weight == fragment.weight {
                merged[merged.count - 1].text += fragment.text
            } else {
                merged.append(fragment)
            }
        }
        return merged.map { WeightedPromptFragment(text: String(scalars: $0.text), weight: $0.weight) }
    }

    /// `:\s*([+-]?[.\d]+)\s*\)` at `colon`: the index after the `)` and the number's code points.
    static func weightClose(_ s: [Unicode.Scalar], colon: Int) -> (end: Int, number: ArraySlice<Unicode.Scalar>)? {
        var j = colon + 1
        while j < s.count, PythonCharacters.isWhitespace(s[j]) { j += 1 }
        let start = j
        if j < s.count, s[j] == "+" || s[j] == "-" { j += 1 }
        let digits = j
        while j < s.count, s[j] == "." || PythonCharacters.isDecimalDigit(s[j]) { j += 1 }
        guard j > digits else { return nil }
        let number = s[start..<j]
        while j < s.count, PythonCharacters.isWhitespace(s[j]) { j += 1 }
        guard j < s.count, s[j] == ")" else { return nil }
        return (j + 1, number)
    }

    /// `re.split(r"\s*\bBREAK\b\s*", text)`.
    static func splitAtBreaks(_ text: ArraySlice<Unicode.Scalar>) -> [[Unicode.Scalar]] {
        let s = Array(text)
        let word = Array("BREAK".unicodeScalars)
        var parts: [[Unicode.Scalar]] = []
        var partStart = 0
        var q = 0
        while q + word.count <= s.count {
            let boundedBefore = q == 0 || !PythonCharacters.isWordCharacter(s[q - 1])
            let boundedAfter = q + word.count == s.count || !PythonCharacters.isWordCharacter(s[q + word.count])
            guard boundedBefore, boundedAfter, Array(s[q..<(q + word.count)]) == word else { q += 1; continue }
            var matchStart = q
            while matchStart > partStart, PythonCharacters.isWhitespace(s[matchStart - 1]) { matchStart -= 1 }
            var matchEnd = q + word.count
            while matchEnd < s.count, PythonCharacters.isWhitespace(s[matchEnd]) { matchEnd += 1 }
            parts.append(Array(s[partStart..<matchStart]))
            partStart = matchEnd
            q = matchEnd
        }
        parts.append(Array(s[partStart...]))
        return parts
    }
}
