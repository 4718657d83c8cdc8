/// Errors of the text encoder: its configuration, its weights and its inputs. Each message says
/// what is wrong and where (file, key, window, position, allowed range).
public enum TextEncoderError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A file the model folder must contain is absent; `tried` lists the names looked for.
    case fileNotFound(folder: String, tried: [String])
    /// The configuration file cannot be read or is not the JSON object expected.
    case unreadableConfiguration(path: String, reason: String)
    /// A configuration value is out of range or unsupported; `path` is the file when read from one.
    case invalidConfiguration(key: String, value: String, reason: String, path: String?)
    /// A tensor is missing, misshapen, unreadable or unused (strict loading); the wrapped error names it.
    case weights(TensorError)
    /// `encode` was given no windows.
    case emptyBatch
    /// A window is empty or longer than the model's positions.
    case invalidSequenceLength(window: Int, length: Int, allowed: ClosedRange<Int>)
    /// The windows of one batch differ in length.
    case unequalSequenceLengths(window: Int, length: Int, firstWindowLength: Int)
    /// A token id is negative or not below the vocabulary size.
    case tokenOutOfRange(window: Int, position: Int, id: Int, vocabularySize: Int)
    /// `clipSkip` is negative or skips more layers than the model has.
    case clipSkipOutOfRange(Int, allowed: ClosedRange<Int>)
    /// The tensor engine rejected an operation (an internal inconsistency, not a user error).
    case computation(TensorError)

    /// A one-line explanation naming the file, key or input at fault.
    public var description: String { unescapedDescription.escapingControlCharacters }

    /// The message before control characters in quoted names are escaped.
    private var unescapedDescription: String {
        switch self {
        case .fileNotFound(let folder, let tried):
            return "\(folder): no \(tried.map { "'\($0)'" }.joined(separator: " or ")) in the text encoder folder"
        case .unreadableConfiguration(let path, let reason):
            return "cannot read text encoder configuration \(path): \(reason)"
        case .invalidConfiguration(let key, let value, let reason, let path):
            return "\(path.map { "\($0): " } ?? "")text encoder configuration '\(key)' = \(value): \(reason)"
        case .weights(let error):
            return "text encoder weights: \(error.description)"
        case .emptyBatch:
            return "text encoder: no token windows to encode"
        case .invalidSequenceLength(let window, let length, let allowed):
            return "text encoder: window \(window) has \(length) tokens; allowed \(allowed.lowerBound)…\(allowed.upperBound)"
        case .unequalSequenceLengths(let window, let length, let first):
            return "text encoder: window \(window) has \(length) tokens but window 0 has \(first); all windows of a batch must have the same length"
        case .tokenOutOfRange(let window, let position, let id, let vocabularySize):
            return "text encoder: token id \(id) at window \(window), position \(position) is outside the vocabulary 0…\(vocabularySize - 1)"
        case .clipSkipOutOfRange(let value, let allowed):
            return "text encoder: clipSkip \(value) is out of range; allowed \(allowed.lowerBound)…\(allowed.upperBound) (the number of layers)"
        case .computation(let error):
            return "text encoder computation failed: \(error.description)"
        }
    }
}
