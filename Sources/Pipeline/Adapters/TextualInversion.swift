import Foundation
import TensorModule

/// A textual-inversion embedding as people download it: one or more learned token vectors under a
/// token, applied with ``StableDiffusionPipeline/applying(loras:embeddings:)``.
///
/// Layouts read (`.safetensors` only; pickles are refused unread):
/// - A1111: `emb_params` `[n, width]` (or `string_to_param.*`); the token is the file name without
///   its extension.
/// - diffusers: one tensor `{"<token>": [n, width]}` or `[width]`; the token is its key.
///
/// As diffusers' `load_textual_inversion` does, an embedding of n > 1 vectors adds n tokens `tok`,
/// `tok_1`, … `tok_{n-1}`, and a prompt's `tok` is replaced by `tok tok_1 … tok_{n-1}` (plain string
/// replacement) before it is tokenized.
public struct TextualInversion: Sendable {
    /// The file.
    public let path: String
    /// The token the prompt uses.
    public let token: String
    /// `[n, width]`, one row per vector.
    public let vectors: Tensor
    /// The file key the vectors were read from.
    public let key: String

    /// Reads an embedding file.
    ///
    /// - Parameters:
    ///   - path: A `.safetensors` file.
    ///   - token: The token to use instead of the file's (diffusers' `token=`); nil keeps the file's.
    /// - Throws: ``AdapterError``: missing or pickle files, no embedding in a known layout.
    public init(contentsOf path: String, token: String? = nil) throws(AdapterError) {
        let file = try AdapterFile.open(path)
        let names = file.tensorNames
        let key: String
        var fileToken: String
        if let a1111 = ["emb_params", "string_to_param.*"].first(where: names.contains) {
            key = a1111
            fileToken = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        } else if names.count == 1, let only = names.first {
            key = only
            fileToken = only
        } else if names.contains("clip_l") || names.contains("clip_g") {
            throw .invalidEmbedding(path: path, reason: "an SDXL embedding (clip_l / clip_g); SD 1.x / 2.x embeddings hold one tensor")
        } else {
            throw .invalidEmbedding(path: path, reason: "expected 'emb_params' (A1111) or exactly one tensor named by its token (diffusers); found \(names.count) tensors: \(names.prefix(5).joined(separator: ", "))")
        }
        if let token { fileToken = token }
        var vectors = try AdapterFile.tensor(file, key)
        if vectors.rank == 1 { vectors = vectors.reshaped([1, vectors.shape[0]]) }
        guard vectors.rank == 2, vectors.shape[0] >= 1, vectors.shape[1] >= 1 else {
            throw .invalidEmbedding(path: path, reason: "'\(key)' has shape \(vectors.shape); expected [n, width] or [width]")
        }
        guard vectors.withUnsafeBufferPointer({ $0.allSatisfy(\.isFinite) }) else {
            throw .invalidEmbedding(path: path, reason: "'\(key)' holds NaN or infinity")
        }
        guard !fileToken.isEmpty, !fileToken.contains(where: \.isWhitespace) else {
            throw .invalidEmbedding(path: path, reason: "token '\(fileToken)' is empty or contains whitespace")
        }
        self.path = path
        self.token = fileToken
        self.vectors = vectors
        self.key = key
    }

    /// The number of vectors (tokens it adds).
    public var vectorCount: Int { vectors.shape[0] }

    /// The tokens it adds: `tok`, `tok_1`, … (diffusers' multi-vector expansion).
    public var tokens: [String] { [token] + (1..<vectorCount).map { "\(token)_\($0)" } }
}
