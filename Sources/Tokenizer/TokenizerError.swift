import TensorModule

/// Errors of loading a tokenizer. Each message names the file and, where it applies, the key or line.
public enum TokenizerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The tokenizer folder does not exist (or is not a folder).
    case missingFolder(path: String)
    /// A file the tokenizer folder's layout needs is absent.
    case missingFile(path: String)
    /// The folder holds neither `tokenizer.json` nor `vocab.json` + `merges.txt`.
    case unrecognizedLayout(folder: String, contents: [String])
    /// A file exists but could not be read, or is not UTF-8.
    case unreadableFile(path: String, reason: String)
    /// A JSON file is not valid JSON, or not of the expected shape.
    case malformedJSON(path: String, reason: String)
    /// A value in a file has the wrong type or lies outside the allowed range.
    case invalidValue(path: String, key: String, reason: String)
    /// A line of `merges.txt` is malformed (`line` counts from 1 and includes the `#version` header).
    case malformedMerge(path: String, line: Int, reason: String)
    /// The CLIP vocabulary that ships with the library was not found beside the program.
    case missingResource(name: String)

    /// A one-line explanation naming the file and the key or line at fault.
    public var description: String { unescapedDescription.escapingControlCharacters }

    /// The message before control characters in quoted names are escaped.
    private var unescapedDescription: String {
        switch self {
        case .missingFolder(let path):
            return "no tokenizer folder at \(path)"
        case .missingFile(let path):
            return "missing tokenizer file \(path)"
        case .unrecognizedLayout(let folder, let contents):
            let listed = contents.isEmpty ? "it is empty" : "it holds \(contents.joined(separator: ", "))"
            return "\(folder) is not a tokenizer folder: expected tokenizer.json, or vocab.json and merges.txt "
                + "(with tokenizer_config.json); \(listed)"
        case .unreadableFile(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .malformedJSON(let path, let reason):
            return "\(path) is not valid JSON of the expected shape: \(reason)"
        case .invalidValue(let path, let key, let reason):
            return "\(path): invalid value for '\(key)': \(reason)"
        case .malformedMerge(let path, let line, let reason):
            return "\(path), line \(line): \(reason)"
        case .missingResource(let name):
            return "the bundled CLIP vocabulary (\(name)) was not found beside the program; "
                + "copy the Tokenizer resource bundle next to the executable"
        }
    }
}
