import TensorModule

/// Errors of reading LoRA and textual-inversion files and of applying them to a pipeline. Each
/// message names the file and, where one is at fault, the tensor key and what was expected.
/// Nothing is applied when any of them is thrown.
public enum AdapterError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The adapter file does not exist.
    case fileNotFound(path: String)
    /// A pickle (`.pt`, `.bin`, `.ckpt`): never unpickled, since unpickling runs code from the file.
    case pickleFile(path: String)
    /// The file could not be read as safetensors (truncated, malformed header, …).
    case unreadableFile(path: String, underlying: TensorError)
    /// The file holds an adapter kind the SDK does not apply (LoHa, LoKr, DoRA, …) or a key in no
    /// known LoRA spelling; `key` is the first such tensor.
    case unsupportedFormat(path: String, key: String, reason: String)
    /// A tensor of the file is malformed for its role (a `lora_down` that is not 2-D or 4-D, an
    /// `alpha` that is not a scalar, ranks of `up` and `down` that differ, half a pair).
    case invalidTensor(path: String, key: String, shape: [Int], reason: String)
    /// The LoRA names a layer of the model but does not fit it: a LoRA for another architecture
    /// (an SDXL LoRA on SD 1.5). `key` is the first such tensor.
    case shapeMismatch(path: String, key: String, layer: String, expected: String, actual: [Int])
    /// No key of the LoRA names a layer of this model; `key` is the first one and `expected` says
    /// what the model's layers are called.
    case noMatchingLayers(path: String, key: String, expected: String)
    /// A textual-inversion file holds no embedding in a known layout.
    case invalidEmbedding(path: String, reason: String)
    /// An embedding's width is not the text encoder's.
    case embeddingWidthMismatch(path: String, key: String, expected: Int, actual: Int)
    /// An embedding's token is already a token of the tokenizer (or of another embedding).
    case tokenExists(path: String, token: String)
    /// An embedding does not go into this model's text encoders: an SDXL embedding (`clip_l` /
    /// `clip_g`) on a model without SDXL's second encoder, or a single-tensor embedding whose width
    /// is none of a several-encoder model's widths. `key` is the tensor at fault.
    case embeddingEncoderMismatch(path: String, key: String, reason: String)
    /// The pipeline cannot take adapters: it was assembled from components that are not the SDK's
    /// own CLIP tokenizer, CLIP text encoder and UNet loaded from files.
    case adaptersUnavailable(reason: String)

    /// A one-line explanation.
    public var description: String { unescapedDescription.escapingControlCharacters }

    private var unescapedDescription: String {
        switch self {
        case .fileNotFound(let path):
            return "adapter file not found at \(path)"
        case .pickleFile(let path):
            return "\(path): a PyTorch pickle (.pt/.bin/.ckpt) is never unpickled; use the .safetensors version of this file"
        case .unreadableFile(let path, let underlying):
            return "\(path): not a readable safetensors file: \(underlying)"
        case .unsupportedFormat(let path, let key, let reason):
            return "\(path): '\(key)': \(reason)"
        case .invalidTensor(let path, let key, let shape, let reason):
            return "\(path): tensor '\(key)' \(shape): \(reason)"
        case .shapeMismatch(let path, let key, let layer, let expected, let actual):
            return "\(path): '\(key)' \(actual) does not fit layer '\(layer)' (expected \(expected)); is this LoRA for another model architecture?"
        case .noMatchingLayers(let path, let key, let expected):
            return "\(path): no key names a layer of this model (first: '\(key)'; expected \(expected)); is this LoRA for another model architecture?"
        case .invalidEmbedding(let path, let reason):
            return "\(path): not a textual-inversion embedding: \(reason)"
        case .embeddingWidthMismatch(let path, let key, let expected, let actual):
            return "\(path): embedding '\(key)' has width \(actual), the text encoder \(expected); is it for another model architecture?"
        case .embeddingEncoderMismatch(let path, let key, let reason):
            return "\(path): embedding '\(key)': \(reason); is it for another model architecture?"
        case .tokenExists(let path, let token):
            return "\(path): token '\(token)' is already in the tokenizer's vocabulary"
        case .adaptersUnavailable(let reason):
            return "adapters cannot be applied: \(reason)"
        }
    }
}
