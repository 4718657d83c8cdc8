/// The character classes of Python 3's `re` module on `str` patterns (and of `float()`), which A1111's
/// parser and lark use: the SDK reproduces their decisions code point by code point.
enum PythonCharacters {
    /// `\s`: Unicode white space as `str.isspace()` defines it (the White_Space property plus the four
    /// information separators U+001C…U+001F, which Python counts as whitespace).
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isWhitespace || (0x1C...0x1F).contains(scalar.value)
    }

    /// `\d`: a Unicode decimal digit (general category Nd).
    static func isDecimalDigit(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.numericType == .decimal
    }

    /// `\w`: a letter, a digit or other numeric character, or the underscore (`str.isalnum()` or `_`).
    static func isWordCharacter(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "_" || scalar.properties.isAlphabetic || scalar.properties.numericType != nil
    }

    /// Python's `float(text)` for the texts A1111's patterns let through (signs, digits of any script, one
    /// decimal point, an exponent): nil where Python raises `ValueError`.
    static func float(_ text: some Sequence<Unicode.Scalar>) -> Double? {
        var ascii = ""
        for scalar in text {
            if isDecimalDigit(scalar), !scalar.isASCII, let value = scalar.properties.numericValue {
                ascii.unicodeScalars.append(Unicode.Scalar(UInt8(48 + Int(value))))
            } else {
                ascii.unicodeScalars.append(scalar)
            }
        }
        let trimmed = ascii.trimmingPythonWhitespace()
        // Swift's parser also takes hexadecimal, "nan" and "inf"; Python's float() takes the last two but
        // A1111's patterns never pass them, and hexadecimal is not a Python float literal.
        guard !trimmed.isEmpty, trimmed.unicodeScalars.allSatisfy({ "0123456789+-.eE".unicodeScalars.contains($0) })
        else { return nil }
        return Double(trimmed)
    }
}

extension String {
    /// The string without leading and trailing Python whitespace.
    func trimmingPythonWhitespace() -> String {
        let scalars = Array(unicodeScalars)
        guard let first = scalars.firstIndex(where: { !PythonCharacters.isWhitespace($0) }),
              let last = scalars.lastIndex(where: { !PythonCharacters.isWhitespace($0) }) else { return "" }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars[first...last])
        return String(out)
    }

    /// A string made of the given code points.
    init(scalars: some Sequence<Unicode.Scalar>) {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        self = String(view)
    }
}
