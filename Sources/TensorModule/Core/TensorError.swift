/// Errors of the tensor engine, safetensors files and weight loading. Each message says what went
/// wrong and where (file, tensor, key).
public enum TensorError: Error, Sendable, Equatable, CustomStringConvertible {
    /// OpenBLAS could not be opened or lacks a needed symbol.
    case blasUnavailable(String)
    /// Operand shapes do not fit the operation.
    case shapeMismatch(operation: String, details: String)
    /// A file could not be opened, mapped or read.
    case fileUnreadable(path: String, reason: String)
    /// A safetensors file is malformed; `tensor` names the entry when one is at fault.
    case invalidSafetensors(path: String, tensor: String?, reason: String)
    /// A tensor uses a dtype this SDK cannot read as Float32.
    case unsupportedDType(path: String, tensor: String, dtype: String)
    /// A model expected a weight that the checkpoint does not have.
    case missingWeight(key: String, source: String)
    /// A checkpoint weight has a different shape from what the model expects.
    case weightShapeMismatch(key: String, expected: [Int], actual: [Int], source: String)
    /// A checkpoint holds weights the model did not use (strict loading).
    case unusedWeights(keys: [String], source: String)
    /// A file could not be written.
    case fileUnwritable(path: String, reason: String)

    /// A one-line explanation naming the file, tensor or key at fault.
    public var description: String { unescapedDescription.escapingControlCharacters }

    /// The message before control characters in quoted names are escaped.
    private var unescapedDescription: String {
        switch self {
        case .blasUnavailable(let reason):
            return "OpenBLAS unavailable: \(reason)"
        case .shapeMismatch(let operation, let details):
            return "\(operation): shape mismatch: \(details)"
        case .fileUnreadable(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .invalidSafetensors(let path, let tensor, let reason):
            return "invalid safetensors file \(path)\(tensor.map { ", tensor '\($0)'" } ?? ""): \(reason)"
        case .unsupportedDType(let path, let tensor, let dtype):
            return "\(path): tensor '\(tensor)' has dtype \(dtype); supported: F32, F16, BF16 (and F64 for small tensors)"
        case .missingWeight(let key, let source):
            return "\(source): missing weight '\(key)'"
        case .weightShapeMismatch(let key, let expected, let actual, let source):
            return "\(source): weight '\(key)' has shape \(actual), expected \(expected)"
        case .unusedWeights(let keys, let source):
            let shown = keys.prefix(5).map { "'\($0)'" }.joined(separator: ", ")
            return "\(source): \(keys.count) unexpected weight\(keys.count == 1 ? "" : "s") the model does not use: \(shown)\(keys.count > 5 ? ", …" : "")"
        case .fileUnwritable(let path, let reason):
            return "cannot write \(path): \(reason)"
        }
    }
}
