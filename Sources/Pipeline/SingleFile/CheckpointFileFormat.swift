import Foundation

/// What a checkpoint file is, judged by its name and first bytes (never by unpickling it).
enum CheckpointFileFormat: Equatable {
    case safetensors
    /// A PyTorch pickle: `torch.save`'s zip archive or a bare pickle stream.
    case pickle
    case unknown

    /// Extensions PyTorch pickles are shared under.
    static let pickleExtensions: Set<String> = ["ckpt", "pt", "pth", "bin", "pkl", "pickle"]

    /// Classifies `path` by content first: an 8-byte little-endian header length below 4 GiB followed by
    /// `{` is safetensors (whatever the extension); the zip magic `PK\u{3}\u{4}` of `torch.save` or a
    /// pickle protocol 2–5 opcode (`0x80 n`) is a pickle; otherwise a pickle extension (`.ckpt`, `.pt`,
    /// …) says pickle.
    ///
    /// - Returns: nil when the file cannot be opened.
    static func sniff(path: String) -> CheckpointFileFormat? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let bytes = [UInt8]((try? handle.read(upToCount: 9)) ?? Data())
        if bytes.count == 9, bytes[4..<8].allSatisfy({ $0 == 0 }), bytes[8] == UInt8(ascii: "{") { return .safetensors }
        if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return .pickle }
        if bytes.count >= 2, bytes[0] == 0x80, (2...5).contains(bytes[1]) { return .pickle }
        if pickleExtensions.contains(URL(fileURLWithPath: path).pathExtension.lowercased()) { return .pickle }
        return .unknown
    }
}
