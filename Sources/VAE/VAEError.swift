/// Errors of the VAE: configuration, model folders, inputs and tiling. Each message says what is wrong
/// and where (file, key, parameter, allowed range).
public enum VAEError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `config.json` could not be read or is not a valid AutoencoderKL configuration document.
    case configurationUnreadable(path: String, reason: String)
    /// A configuration value is out of range or names something this SDK does not implement.
    case invalidConfiguration(key: String, value: String, reason: String)
    /// A model folder holds none of the weight files looked for.
    case weightsNotFound(directory: String, lookedFor: [String])
    /// An input tensor has the wrong rank, channel count or size.
    case invalidInput(parameter: String, shape: [Int], expected: String)
    /// Tiling options that cannot tile consistently.
    case invalidTiling(parameter: String, value: String, reason: String)
    /// A random source returned noise of another shape than requested.
    case noiseShapeMismatch(expected: [Int], actual: [Int])
    /// A tensor operation or weight loading failed (missing, misshapen or unused weights included).
    case tensor(TensorError)

    /// A one-line explanation naming the file, key or parameter at fault.
    public var description: String { unescapedDescription.escapingControlCharacters }

    /// The message before control characters in quoted names are escaped.
    private var unescapedDescription: String {
        switch self {
        case .configurationUnreadable(let path, let reason):
            return "cannot read VAE configuration \(path): \(reason)"
        case .invalidConfiguration(let key, let value, let reason):
            return "invalid VAE configuration: '\(key)' = \(value): \(reason)"
        case .weightsNotFound(let directory, let lookedFor):
            return "no VAE weights in \(directory): looked for \(lookedFor.joined(separator: ", "))"
        case .invalidInput(let parameter, let shape, let expected):
            return "VAE input '\(parameter)' has shape \(shape); expected \(expected)"
        case .invalidTiling(let parameter, let value, let reason):
            return "invalid VAE tiling: \(parameter) = \(value): \(reason)"
        case .noiseShapeMismatch(let expected, let actual):
            return "random source returned noise of shape \(actual) for a request of shape \(expected)"
        case .tensor(let error):
            return error.description
        }
    }
}

/// Runs `body`, reporting tensor-engine failures as ``VAEError/tensor(_:)``.
@inline(__always)
func wrappingTensorErrors<T>(_ body: () throws(TensorError) -> T) throws(VAEError) -> T {
    do { return try body() } catch { throw .tensor(error) }
}
