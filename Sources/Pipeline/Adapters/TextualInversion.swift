import Foundation
import TensorModule

/// A textual-inversion embedding as people download it: one or more learned token vectors under a
/// token, applied with ``StableDiffusionPipeline/applying(loras:embeddings:)``.
///
/// Layouts read (`.safetensors` only; pickles are refused unread):
/// - A1111: `emb_params` `[n, width]` (or `string_to_param.*`); the token is the file name without
///   its extension.
/// - diffusers: one tensor `{"<token>": [n, width]}` or `[width]`; the token is its key.
/// - SDXL (the files model sites share for SDXL): `clip_l` `[n, 768]` for the first text encoder and
///   `clip_g` `[n, 1280]` for the second; the token is the file name without its extension. As
///   diffusers documents it, the token goes into both tokenizers, `clip_l`'s rows into `text_encoder`
///   and `clip_g`'s into `text_encoder_2`.
///
/// As diffusers' `load_textual_inversion` does, an embedding of n > 1 vectors adds n tokens `tok`,
/// `tok_1`, … `tok_{n-1}`, and a prompt's `tok` is replaced by `tok tok_1 … tok_{n-1}` (plain string
/// replacement) before it is tokenized.
public struct TextualInversion: Sendable {
    /// The vectors for one text encoder.
    public struct Part: Sendable {
        /// The encoder they are for: nil for a single-tensor file (A1111, diffusers), which goes into
        /// the first encoder whose width fits; `.textEncoder` for SDXL's `clip_l`, `.textEncoder2` for
        /// its `clip_g`.
        public let target: AdapterTarget?
        /// The file key the vectors were read from.
        public let key: String
        /// `[n, width]`, one row per vector.
        public let vectors: Tensor
    }

    /// The file.
    public let path: String
    /// The token the prompt uses.
    public let token: String
    /// The vectors by encoder: one untargeted part, or SDXL's `clip_l` / `clip_g` parts (same n).
    public let parts: [Part]
    /// `[n, width]`: the first part's vectors (a single-tensor file's only one; SDXL: `clip_l`'s when present).
    public var vectors: Tensor { parts[0].vectors }
    /// The file key of ``vectors``.
    public var key: String { parts[0].key }
    /// Whether the file is an SDXL embedding (`clip_l` / `clip_g`).
    public var isSDXL: Bool { parts.contains { $0.target != nil } }

    /// Reads an embedding file.
    ///
    /// - Parameters:
    ///   - path: A `.safetensors` file.
    ///   - token: The token to use instead of the file's (diffusers' `token=`); nil keeps the file's.
    /// - Throws: ``AdapterError``: missing or pickle files, no embedding in a known layout.
    public init(contentsOf path: String, token: String? = nil) throws(AdapterError) {
        let file = try AdapterFile.open(path)
        let names = file.tensorNames
        let fileName = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        let sdxlKeys: [(String, AdapterTarget)] = [("clip_l", .textEncoder), ("clip_g", .textEncoder2)]
        var keys: [(key: String, target: AdapterTarget?)]
        var fileToken: String
        if let a1111 = ["emb_params", "string_to_param.*"].first(where: names.contains) {
            keys = [(a1111, nil)]
            fileToken = fileName
        } else if names.contains("clip_l") || names.contains("clip_g") {
            let extra = Set(names).subtracting(["clip_l", "clip_g"])
            guard extra.isEmpty else {
                throw .invalidEmbedding(path: path, reason: "an SDXL embedding holds 'clip_l' and 'clip_g' only; found also \(extra.sorted().prefix(5).joined(separator: ", "))")
            }
            keys = sdxlKeys.filter { names.contains($0.0) }.map { ($0.0, $0.1) }
            fileToken = fileName
        } else if names.count == 1, let only = names.first {
            keys = [(only, nil)]
            fileToken = only
        } else {
            throw .invalidEmbedding(path: path, reason: "expected 'emb_params' (A1111), 'clip_l' / 'clip_g' (SDXL) or exactly one tensor named by its token (diffusers); found \(names.count) tensors: \(names.prefix(5).joined(separator: ", "))")
        }
        if let token { fileToken = token }
        var parts: [Part] = []
        for (key, target) in keys {
            var vectors = try AdapterFile.tensor(file, key)
            if vectors.rank == 1 { vectors = vectors.reshaped([1, vectors.shape[0]]) }
            guard vectors.rank == 2, vectors.shape[0] >= 1, vectors.shape[1] >= 1 else {
                throw .invalidEmbedding(path: path, reason: "'\(key)' has shape \(vectors.shape); expected [n, width] or [width]")
            }
            guard vectors.withUnsafeBufferPointer({ $0.allSatisfy(\.isFinite) }) else {
                throw .invalidEmbedding(path: path, reason: "'\(key)' holds NaN or infinity")
            }
            if let first = parts.first, first.vectors.shape[0] != vectors.shape[0] {
                throw .invalidEmbedding(path: path, reason: "'\(first.key)' has \(first.vectors.shape[0]) vectors but '\(key)' \(vectors.shape[0]); both encoders need the same count")
            }
            parts.append(Part(target: target, key: key, vectors: vectors))
        }
        guard !fileToken.isEmpty, !fileToken.contains(where: \.isWhitespace) else {
            throw .invalidEmbedding(path: path, reason: "token '\(fileToken)' is empty or contains whitespace")
        }
        self.path = path
        self.token = fileToken
        self.parts = parts
    }

    /// The number of vectors (tokens it adds).
    public var vectorCount: Int { vectors.shape[0] }

    /// The tokens it adds: `tok`, `tok_1`, … (diffusers' multi-vector expansion).
    public var tokens: [String] { [token] + (1..<vectorCount).map { "\(token)_\($0)" } }
}
