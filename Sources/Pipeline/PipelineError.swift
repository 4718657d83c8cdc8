import TensorModule

/// Errors of the pipeline: loading a model, checking generation parameters, images. Each message
/// says what is wrong and where (file, key, parameter and its allowed range).
public enum PipelineError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A file or folder the pipeline needs does not exist.
    case fileNotFound(path: String, what: String)
    /// A PNG could not be decoded or encoded.
    case invalidPNG(path: String, reason: String)
    /// An output file could not be written.
    case fileUnwritable(path: String, reason: String)
    /// A tensor that should be an image batch `[N, 3, H, W]` is not.
    case invalidImageTensor(shape: [Int])
    /// A generation parameter is out of range.
    case invalidParameter(name: String, value: String, allowed: String)

    /// A one-line explanation.
    public var description: String {
        switch self {
        case .fileNotFound(let path, let what):
            return "\(what) not found at \(path)"
        case .invalidPNG(let path, let reason):
            return "\(path): invalid PNG: \(reason)"
        case .fileUnwritable(let path, let reason):
            return "cannot write \(path): \(reason)"
        case .invalidImageTensor(let shape):
            return "expected an image tensor [N, 3, H, W], got \(shape)"
        case .invalidParameter(let name, let value, let allowed):
            return "invalid \(name) \(value): expected \(allowed)"
        }
    }
}
