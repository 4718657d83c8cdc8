import Foundation

/// The shape of a CLIP text model, decoded from the `text_encoder/config.json` that transformers
/// writes for `CLIPTextConfig` (transformers `models/clip/configuration_clip.py`).
///
/// Keys absent from the file take `CLIPTextConfig`'s defaults, as `from_pretrained` does. Of the token-id
/// settings only `eos_token_id` is read: it selects the token the pooled output is taken from (SDXL's
/// second encoder). Invalid values throw
/// ``TextEncoderError/invalidConfiguration(key:value:reason:path:)``.
public struct CLIPTextConfiguration: Sendable, Equatable, Codable {
    /// The architectures this SDK loads: the plain text model and the one with a projection head
    /// (whose head is checked and ignored, since only the last hidden state is used).
    public static let supportedArchitectures = ["CLIPTextModel", "CLIPTextModelWithProjection"]

    /// The activations transformers' `ACT2FN` names that this SDK implements with the same formula.
    public static let supportedActivations: [String: Activation] = [
        "quick_gelu": .quickGELU, "gelu": .gelu, "gelu_pytorch_tanh": .geluTanh, "silu": .silu,
    ]

    /// Number of token ids (`vocab_size`).
    public var vocabularySize: Int
    /// Width of the residual stream and of the output embeddings (`hidden_size`).
    public var hiddenSize: Int
    /// Width of each layer's MLP (`intermediate_size`).
    public var intermediateSize: Int
    /// Number of transformer layers (`num_hidden_layers`).
    public var layerCount: Int
    /// Attention heads per layer (`num_attention_heads`); must divide ``hiddenSize``.
    public var attentionHeadCount: Int
    /// Number of learned positions, the longest window (`max_position_embeddings`).
    public var maximumPositions: Int
    /// The MLP activation (`hidden_act`): `quick_gelu` in SD 1.x, `gelu` in SD 2.x.
    public var hiddenActivation: Activation
    /// Epsilon of every layer norm (`layer_norm_eps`).
    public var layerNormEpsilon: Float
    /// Output width of `CLIPTextModelWithProjection`'s head (`projection_dim`); unused by the encoder.
    public var projectionDimension: Int?
    /// The model classes the checkpoint was saved from (`architectures`), if recorded.
    public var architectures: [String]?
    /// The end-of-text id (`eos_token_id`), which picks the pooled token: the first position holding it, or,
    /// when it is 2 (the value configs saved before transformers PR #24773 carry, SDXL's among them), the
    /// position of the largest id, as transformers does.
    public var eosTokenID: Int

    /// Creates a configuration; the defaults are `CLIPTextConfig`'s.
    ///
    /// Call ``validate()`` (or let ``CLIPTextModel`` do it) before use.
    public init(vocabularySize: Int = 49408, hiddenSize: Int = 512, intermediateSize: Int = 2048,
                layerCount: Int = 12, attentionHeadCount: Int = 8, maximumPositions: Int = 77,
                hiddenActivation: Activation = .quickGELU, layerNormEpsilon: Float = 1e-5,
                projectionDimension: Int? = 512, architectures: [String]? = ["CLIPTextModel"],
                eosTokenID: Int = 49407) {
        self.vocabularySize = vocabularySize
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.layerCount = layerCount
        self.attentionHeadCount = attentionHeadCount
        self.maximumPositions = maximumPositions
        self.hiddenActivation = hiddenActivation
        self.layerNormEpsilon = layerNormEpsilon
        self.projectionDimension = projectionDimension
        self.architectures = architectures
        self.eosTokenID = eosTokenID
    }

    /// SD 1.x's text encoder, OpenAI CLIP ViT-L/14 (`stable-diffusion-v1-5/text_encoder/config.json`):
    /// 768 wide, 12 layers, 12 heads, `quick_gelu`.
    public static let sd15 = CLIPTextConfiguration(
        vocabularySize: 49408, hiddenSize: 768, intermediateSize: 3072, layerCount: 12, attentionHeadCount: 12,
        maximumPositions: 77, hiddenActivation: .quickGELU, layerNormEpsilon: 1e-5, projectionDimension: 768,
        eosTokenID: 2)

    /// SD 2.x's text encoder, OpenCLIP ViT-H/14 (`stable-diffusion-2-1/text_encoder/config.json`):
    /// 1024 wide, 23 layers (the original's last layer dropped), 16 heads, `gelu`.
    public static let sd21 = CLIPTextConfiguration(
        vocabularySize: 49408, hiddenSize: 1024, intermediateSize: 4096, layerCount: 23, attentionHeadCount: 16,
        maximumPositions: 77, hiddenActivation: .gelu, layerNormEpsilon: 1e-5, projectionDimension: 512,
        eosTokenID: 2)

    /// SDXL's second text encoder, OpenCLIP ViT-bigG/14 with its projection
    /// (`stable-diffusion-xl-base-1.0/text_encoder_2/config.json`): 1280 wide, 32 layers, 20 heads, `gelu`,
    /// projection 1280, `eos_token_id` 2 (pooled token = largest id).
    public static let sdxlEncoder2 = CLIPTextConfiguration(
        vocabularySize: 49408, hiddenSize: 1280, intermediateSize: 5120, layerCount: 32, attentionHeadCount: 20,
        maximumPositions: 77, hiddenActivation: .gelu, layerNormEpsilon: 1e-5, projectionDimension: 1280,
        architectures: ["CLIPTextModelWithProjection"], eosTokenID: 2)

    /// Channels per attention head.
    public var headDimension: Int { hiddenSize / max(attentionHeadCount, 1) }

    /// Whether the checkpoint carries `CLIPTextModelWithProjection`'s `text_projection` head.
    public var hasProjectionHead: Bool { architectures?.contains("CLIPTextModelWithProjection") ?? false }

    /// Checks every value.
    ///
    /// - Throws: ``TextEncoderError/invalidConfiguration(key:value:reason:path:)`` naming the first bad key.
    public func validate() throws(TextEncoderError) {
        func invalid(_ key: String, _ value: Any, _ reason: String) -> TextEncoderError {
            .invalidConfiguration(key: key, value: "\(value)", reason: reason, path: nil)
        }
        let positive: [(String, Int)] = [
            ("vocab_size", vocabularySize), ("hidden_size", hiddenSize), ("intermediate_size", intermediateSize),
            ("num_hidden_layers", layerCount), ("num_attention_heads", attentionHeadCount),
            ("max_position_embeddings", maximumPositions),
        ]
        for (key, value) in positive where value <= 0 { throw invalid(key, value, "must be positive") }
        guard hiddenSize % attentionHeadCount == 0 else {
            throw invalid("num_attention_heads", attentionHeadCount, "must divide hidden_size \(hiddenSize)")
        }
        guard layerNormEpsilon.isFinite, layerNormEpsilon > 0 else {
            throw invalid("layer_norm_eps", layerNormEpsilon, "must be a positive number")
        }
        if let projectionDimension, projectionDimension <= 0 {
            throw invalid("projection_dim", projectionDimension, "must be positive")
        }
        for name in architectures ?? [] where !Self.supportedArchitectures.contains(name) {
            throw invalid("architectures", name, "unsupported; supported: \(Self.supportedArchitectures.joined(separator: ", "))")
        }
        if hasProjectionHead, projectionDimension == nil {
            throw invalid("projection_dim", "null", "CLIPTextModelWithProjection needs a projection width")
        }
    }

    enum CodingKeys: String, CodingKey {
        case vocabularySize = "vocab_size"
        case hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size"
        case layerCount = "num_hidden_layers"
        case attentionHeadCount = "num_attention_heads"
        case maximumPositions = "max_position_embeddings"
        case hiddenActivation = "hidden_act"
        case layerNormEpsilon = "layer_norm_eps"
        case projectionDimension = "projection_dim"
        case architectures
        case eosTokenID = "eos_token_id"
        case modelType = "model_type"
    }

    /// Decodes transformers' `config.json`, taking `CLIPTextConfig`'s defaults for absent keys, and validates it.
    ///
    /// - Throws: `DecodingError` for a value of the wrong JSON type;
    ///   ``TextEncoderError/invalidConfiguration(key:value:reason:path:)`` for an unsupported or out-of-range value.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = CLIPTextConfiguration()
        if let modelType = try container.decodeIfPresent(String.self, forKey: .modelType), modelType != "clip_text_model" {
            throw TextEncoderError.invalidConfiguration(
                key: "model_type", value: modelType, reason: "expected 'clip_text_model' (a CLIPTextConfig)", path: nil)
        }
        vocabularySize = try container.decodeIfPresent(Int.self, forKey: .vocabularySize) ?? defaults.vocabularySize
        hiddenSize = try container.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? defaults.hiddenSize
        intermediateSize = try container.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? defaults.intermediateSize
        layerCount = try container.decodeIfPresent(Int.self, forKey: .layerCount) ?? defaults.layerCount
        attentionHeadCount = try container.decodeIfPresent(Int.self, forKey: .attentionHeadCount) ?? defaults.attentionHeadCount
        maximumPositions = try container.decodeIfPresent(Int.self, forKey: .maximumPositions) ?? defaults.maximumPositions
        let activationName = try container.decodeIfPresent(String.self, forKey: .hiddenActivation) ?? "quick_gelu"
        guard let activation = Self.supportedActivations[activationName] else {
            throw TextEncoderError.invalidConfiguration(
                key: "hidden_act", value: activationName,
                reason: "unsupported activation; supported: \(Self.supportedActivations.keys.sorted().joined(separator: ", "))",
                path: nil)
        }
        hiddenActivation = activation
        // transformers allows `layer_norm_eps: null` and then uses the class default.
        layerNormEpsilon = try container.decodeIfPresent(Float.self, forKey: .layerNormEpsilon) ?? defaults.layerNormEpsilon
        // `projection_dim` defaults to 512 when absent but may be null explicitly.
        if container.contains(.projectionDimension) {
            projectionDimension = try container.decodeIfPresent(Int.self, forKey: .projectionDimension)
        } else {
            projectionDimension = defaults.projectionDimension
        }
        architectures = try container.decodeIfPresent([String].self, forKey: .architectures)
        // transformers also allows a list; the first entry is the one a CLIP tokenizer emits.
        if let single = try? container.decodeIfPresent(Int.self, forKey: .eosTokenID) {
            eosTokenID = single
        } else {
            eosTokenID = try container.decodeIfPresent([Int].self, forKey: .eosTokenID)?.first ?? defaults.eosTokenID
        }
        try validate()
    }

    /// Encodes with transformers' key names, so the result loads as a `CLIPTextConfig`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode("clip_text_model", forKey: .modelType)
        try container.encode(vocabularySize, forKey: .vocabularySize)
        try container.encode(hiddenSize, forKey: .hiddenSize)
        try container.encode(intermediateSize, forKey: .intermediateSize)
        try container.encode(layerCount, forKey: .layerCount)
        try container.encode(attentionHeadCount, forKey: .attentionHeadCount)
        try container.encode(maximumPositions, forKey: .maximumPositions)
        try container.encode(hiddenActivation.rawValue, forKey: .hiddenActivation)
        try container.encode(layerNormEpsilon, forKey: .layerNormEpsilon)
        try container.encode(projectionDimension, forKey: .projectionDimension)
        try container.encodeIfPresent(architectures, forKey: .architectures)
        try container.encode(eosTokenID, forKey: .eosTokenID)
    }
}
