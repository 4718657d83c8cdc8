/// GPT-2's reversible byte → character table (`bytes_to_unicode` in CLIP's `simple_tokenizer.py`):
/// printable Latin-1 bytes stand for themselves, the other 68 bytes for U+0100 onwards, in order.
/// Byte-level BPE vocabularies are spelled in these characters.
enum ByteLevelAlphabet {
    /// The character standing for each byte value.
    static let characters: [Unicode.Scalar] = {
        func isPrintable(_ byte: Int) -> Bool {
            (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
        }
        var table: [Unicode.Scalar] = []
        var next: UInt32 = 0x100
        for byte in 0..<256 {
            if isPrintable(byte) {
                table.append(Unicode.Scalar(UInt8(byte)))
            } else {
                // U+0100...U+0143 are all valid scalars.
                table.append(Unicode.Scalar(next) ?? " ")
                next += 1
            }
        }
        return table
    }()
}
