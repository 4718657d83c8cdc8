/// CLIP's normalizer in transformers 5: `Sequence([NFC(), Replace(Regex("\s+"), " "), Lowercase()])`
/// of the `tokenizers` library, applied in that order to Unicode scalars.
///
/// There is no ftfy fix-up and no HTML unescaping (the Python-only tokenizer of transformers 4 did
/// those), and no stripping: leading and trailing spaces simply produce no word later.
enum TextNormalizer {
    /// Normalizes a run of scalars.
    static func normalize(_ scalars: ArraySlice<Unicode.Scalar>) -> [Unicode.Scalar] {
        lowercased(collapsingWhitespace(canonicallyComposed(scalars)))
    }

    /// NFC as the reference computes it (see `CanonicalComposition`). Scalars below U+0300 are all
    /// NFC-stable and never combine with each other, so text made only of them is returned as is.
    static func canonicallyComposed(_ scalars: ArraySlice<Unicode.Scalar>) -> [Unicode.Scalar] {
        if scalars.allSatisfy({ $0.value < 0x300 }) { return Array(scalars) }
        return CanonicalComposition.composed(scalars)
    }

    /// Replaces every run of `\s` with one space.
    static func collapsingWhitespace(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(scalars.count)
        var inWhitespace = false
        for scalar in scalars {
            if UnicodeClasses.isWhitespace(scalar) {
                if !inWhitespace { result.append(" ") }
                inWhitespace = true
            } else {
                result.append(scalar)
                inWhitespace = false
            }
        }
        return result
    }

    /// Rust's `char::to_lowercase` per scalar: the full mapping with SpecialCasing's unconditional
    /// entries ('İ' becomes "i̇"), and no context (a final 'Σ' becomes 'σ', not 'ς').
    static func lowercased(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(scalars.count)
        for scalar in scalars {
            if scalar.value < 0x80 {
                let value = scalar.value
                result.append((0x41...0x5A).contains(value) ? Unicode.Scalar(UInt8(value + 0x20)) : scalar)
            } else {
                result.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return result
    }
}
