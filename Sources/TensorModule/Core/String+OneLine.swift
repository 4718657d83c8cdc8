extension String {
    /// The text with line breaks, other control characters and bidirectional overrides written as
    /// escapes (`\n`, `\u{1B}`, `\u{202E}`), so an error message that quotes a name from an untrusted
    /// file (a tensor name, a vocabulary token, a JSON key) stays on one line and shows what the
    /// file really holds. Text without such characters is returned unchanged.
    ///
    /// Shared by the SDK's error types (package access: not API).
    package var escapingControlCharacters: String {
        guard unicodeScalars.contains(where: Self.needsEscape) else { return self }
        var escaped = ""
        for scalar in unicodeScalars {
            switch scalar {
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            case "\t": escaped += "\\t"
            case _ where Self.needsEscape(scalar): escaped += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .lineSeparator, .paragraphSeparator: return true
        default: return (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value)
        }
    }
}
