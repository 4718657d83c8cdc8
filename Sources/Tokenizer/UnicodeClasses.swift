/// The character classes the reference tokenizer uses, per Unicode scalar.
///
/// transformers' CLIP tokenizer runs in the Rust `tokenizers` library, whose regular expressions
/// (`\s`, `\p{L}`, `\p{N}` in the normalizer and pre-tokenizer) come from Oniguruma with the
/// Unicode 16.0 tables. Swift's own tables may be newer, so a scalar assigned after 16.0 counts as
/// unassigned here, as it does in the reference. `Tests/Fixtures/tokenizer/unicode.json` records
/// the reference classes of every code point, and a test compares all of them.
enum UnicodeClasses {
    /// The Unicode version of the reference's regular-expression tables.
    static let referenceVersion: Unicode.Version = (major: 16, minor: 0)

    /// Whether the scalar was assigned in the reference's Unicode version.
    static func isAssignedInReference(_ scalar: Unicode.Scalar) -> Bool {
        guard let age = scalar.properties.age else { return false }
        return (age.major, age.minor) <= (referenceVersion.major, referenceVersion.minor)
    }

    /// `\s`: the White_Space property (Oniguruma and Rust's `regex` agree on it).
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value < 0x80 {
            return scalar.value == 0x20 || (0x09...0x0D).contains(scalar.value)
        }
        return scalar.properties.isWhitespace
    }

    /// `\p{L}`: general category L (Lu, Ll, Lt, Lm, Lo).
    static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value < 0x80 {
            return (0x41...0x5A).contains(scalar.value) || (0x61...0x7A).contains(scalar.value)
        }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return isAssignedInReference(scalar)
        default:
            return false
        }
    }

    /// `\p{N}`: general category N (Nd, Nl, No).
    static func isNumber(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value < 0x80 { return (0x30...0x39).contains(scalar.value) }
        switch scalar.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber:
            return isAssignedInReference(scalar)
        default:
            return false
        }
    }

    /// `\w` of Rust's `regex` crate (Alphabetic, marks, decimal digits, connector punctuation,
    /// join controls), which decides whether an added token marked `single_word` stands alone.
    static func isWordCharacter(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value < 0x80 {
            return isLetter(scalar) || isNumber(scalar) || scalar == "_"
        }
        let properties = scalar.properties
        if properties.isAlphabetic || properties.isJoinControl { return true }
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation:
            return true
        default:
            return false
        }
    }
}
