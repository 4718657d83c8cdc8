/// A piece of prompt text and the attention multiplier A1111's emphasis syntax gives it.
public struct WeightedPromptFragment: Sendable, Equatable, CustomStringConvertible {
    /// The text, with escapes resolved (`\(` is `(`).
    public var text: String
    /// The multiplier (1 = unweighted). A `BREAK` is the fragment `"BREAK"` with weight −1, as A1111
    /// represents it (inside brackets that −1 is multiplied too, and the fragment is then ordinary text).
    public var weight: Double

    /// A fragment.
    /// - Parameters:
    ///   - text: the text.
    ///   - weight: its multiplier.
    public init(text: String, weight: Double) {
        self.text = text
        self.weight = weight
    }

    /// Whether this fragment starts a new chunk (A1111 tests exactly this: text "BREAK" and weight −1).
    public var isBreak: Bool { text == "BREAK" && weight == -1 }

    /// `"text": weight`.
    public var description: String { "\"\(text)\": \(weight)" }
}
