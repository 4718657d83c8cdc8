/// Errors of the UNet: its configuration, its weights and its inputs. Each message says what went
/// wrong and where (file, key, parameter) and what was expected.
public enum UNetError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A `config.json` could not be read or is not valid JSON of the expected structure.
    case configurationUnreadable(path: String, reason: String)
    /// A configuration value is out of range or inconsistent with another.
    case invalidConfiguration(key: String, value: String, expected: String)
    /// A configuration value selects a diffusers feature this implementation does not provide
    /// (SD 1.x / 2.x never use it).
    case unsupportedConfiguration(key: String, value: String, reason: String)
    /// A model folder holds none of the weight files the UNet loads.
    case weightsNotFound(folder: String, candidates: [String])
    /// Loading weights failed: a missing, misshapen or unused tensor, or an unreadable file.
    case weights(TensorError)
    /// An input tensor or value does not fit the model.
    case invalidInput(parameter: String, details: String)
    /// A tensor operation failed inside the forward pass (a bug rather than bad input, since inputs
    /// are checked first).
    case computation(TensorError)

    /// A one-line explanation naming the file, key or parameter at fault.
    public var description: String { unescapedDescription.escapingControlCharacters }

    /// The message before control characters in quoted names are escaped.
    private var unescapedDescription: String {
        switch self {
        case .configurationUnreadable(let path, let reason):
            return "cannot read UNet configuration \(path): \(reason)"
        case .invalidConfiguration(let key, let value, let expected):
            return "UNet configuration: '\(key)' is \(value); expected \(expected)"
        case .unsupportedConfiguration(let key, let value, let reason):
            return "UNet configuration: '\(key)' = \(value) is not supported: \(reason)"
        case .weightsNotFound(let folder, let candidates):
            return "no UNet weights in \(folder): looked for \(candidates.joined(separator: ", "))"
        case .weights(let error):
            return "UNet weights: \(error.description)"
        case .invalidInput(let parameter, let details):
            return "UNet input '\(parameter)': \(details)"
        case .computation(let error):
            return "UNet forward pass: \(error.description)"
        }
    }
}
