import Foundation
import TensorModule

extension UNetConfiguration: Codable {
    enum CodingKeys: String, CodingKey {
        case sampleSize = "sample_size", inChannels = "in_channels", outChannels = "out_channels"
        case centerInputSample = "center_input_sample", flipSinToCos = "flip_sin_to_cos", freqShift = "freq_shift"
        case downBlockTypes = "down_block_types", midBlockType = "mid_block_type", upBlockTypes = "up_block_types"
        case blockOutChannels = "block_out_channels", layersPerBlock = "layers_per_block"
        case transformerLayersPerBlock = "transformer_layers_per_block", downsamplePadding = "downsample_padding"
        case midBlockScaleFactor = "mid_block_scale_factor", actFn = "act_fn"
        case normNumGroups = "norm_num_groups", normEps = "norm_eps", crossAttentionDim = "cross_attention_dim"
        case attentionHeadDim = "attention_head_dim", useLinearProjection = "use_linear_projection"
        case upcastAttention = "upcast_attention", timeEmbeddingDim = "time_embedding_dim"
        case convInKernel = "conv_in_kernel", convOutKernel = "conv_out_kernel"
        case additionEmbedType = "addition_embed_type", additionTimeEmbedDim = "addition_time_embed_dim"
        case projectionClassEmbeddingsInputDim = "projection_class_embeddings_input_dim"
    }

    /// The one mid block SD 1.x/2.x use.
    static let midBlockTypeName = "UNetMidBlock2DCrossAttn"

    /// Keys whose non-default values select diffusers features this implementation does not have,
    /// with the values that are accepted (JSON `null` written as `.null`) and why others are not.
    static let rejectedFeatures: [(key: String, accepted: [JSONValue], reason: String)] = [
        ("num_attention_heads", [.null], "diffusers itself refuses it for UNet2DConditionModel; SD configs give head counts in attention_head_dim"),
        ("only_cross_attention", [.bool(false)], "cross-attention-only transformer blocks are not used by SD 1.x/2.x"),
        ("mid_block_only_cross_attention", [.null, .bool(false)], "cross-attention-only transformer blocks are not used by SD 1.x/2.x"),
        ("dual_cross_attention", [.bool(false)], "dual cross-attention is not used by SD 1.x/2.x"),
        ("class_embed_type", [.null], "class embeddings are not used by SD 1.x/2.x"),
        ("num_class_embeds", [.null], "class embeddings are not used by SD 1.x/2.x"),
        ("class_embeddings_concat", [.bool(false)], "class embeddings are not used by SD 1.x/2.x"),
        ("addition_embed_type", [.null, .string("text_time")], "only SDXL's text_time additional embedding is supported"),
        ("encoder_hid_dim", [.null], "an encoder hidden-state projection is not used by SD 1.x/2.x"),
        ("encoder_hid_dim_type", [.null], "an encoder hidden-state projection is not used by SD 1.x/2.x"),
        ("time_embedding_type", [.string("positional")], "only the sinusoidal (positional) timestep embedding is supported"),
        ("time_embedding_act_fn", [.null], "SD 1.x/2.x apply no activation after the time embedding"),
        ("timestep_post_act", [.null], "SD 1.x/2.x apply no activation after the time embedding MLP"),
        ("time_cond_proj_dim", [.null], "timestep conditioning (LCM-distilled UNets) is not supported"),
        ("resnet_time_scale_shift", [.string("default")], "only additive time embedding in resnets is supported"),
        ("attention_type", [.string("default")], "gated (GLIGEN) attention is not supported"),
        ("reverse_transformer_layers_per_block", [.null], "asymmetric transformer depths are not supported"),
        ("mid_block_scale_factor", [.number(1)], "resnet output scaling is not supported"),
    ]

    /// Decodes a diffusers `unet/config.json` and validates it.
    ///
    /// - Throws: ``UNetError`` for unsupported or invalid values; `DecodingError` for values of the
    ///   wrong JSON type.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try UNetConfiguration.rejectUnsupportedFeatures(in: decoder)
        let defaults = UNetConfiguration()

        downBlockTypes = try UNetConfiguration.blockTypes(container, .downBlockTypes, default: defaults.downBlockTypes)
        upBlockTypes = try UNetConfiguration.blockTypes(container, .upBlockTypes, default: defaults.upBlockTypes)
        if container.contains(.midBlockType), case let mid = try container.decode(JSONValue.self, forKey: .midBlockType),
           mid != .string(Self.midBlockTypeName) {
            throw UNetError.unsupportedConfiguration(key: "mid_block_type", value: mid.description,
                                                     reason: "only \(Self.midBlockTypeName) is supported")
        }
        let levels = downBlockTypes.count

        sampleSize = try container.decodeIfPresent(Int.self, forKey: .sampleSize)
        inChannels = try container.decodeIfPresent(Int.self, forKey: .inChannels) ?? defaults.inChannels
        outChannels = try container.decodeIfPresent(Int.self, forKey: .outChannels) ?? defaults.outChannels
        centerInputSample = try container.decodeIfPresent(Bool.self, forKey: .centerInputSample) ?? false
        flipSinToCos = try container.decodeIfPresent(Bool.self, forKey: .flipSinToCos) ?? defaults.flipSinToCos
        freqShift = try container.decodeIfPresent(Double.self, forKey: .freqShift) ?? defaults.freqShift
        blockOutChannels = try container.decodeIfPresent([Int].self, forKey: .blockOutChannels) ?? defaults.blockOutChannels
        layersPerBlock = try UNetConfiguration.perBlock(container, .layersPerBlock, levels: levels, default: 2)
        transformerLayersPerBlock = try UNetConfiguration.perBlock(container, .transformerLayersPerBlock, levels: levels, default: 1)
        attentionHeads = try UNetConfiguration.perBlock(container, .attentionHeadDim, levels: levels, default: 8)
        downsamplePadding = try container.decodeIfPresent(Int.self, forKey: .downsamplePadding) ?? defaults.downsamplePadding
        if let activation = try container.decodeIfPresent(String.self, forKey: .actFn), !["silu", "swish"].contains(activation) {
            throw UNetError.unsupportedConfiguration(key: "act_fn", value: "\"\(activation)\"", reason: "SD 1.x/2.x use silu")
        }
        if container.contains(.normNumGroups), try container.decodeNil(forKey: .normNumGroups) {
            throw UNetError.unsupportedConfiguration(key: "norm_num_groups", value: "null",
                                                     reason: "a UNet without its output group norm is not used by SD 1.x/2.x")
        }
        normNumGroups = try container.decodeIfPresent(Int.self, forKey: .normNumGroups) ?? defaults.normNumGroups
        normEpsilon = try container.decodeIfPresent(Float.self, forKey: .normEps) ?? defaults.normEpsilon
        crossAttentionDim = try UNetConfiguration.crossAttentionWidth(container, default: defaults.crossAttentionDim)
        useLinearProjection = try container.decodeIfPresent(Bool.self, forKey: .useLinearProjection) ?? false
        upcastAttention = try container.decodeIfPresent(Bool.self, forKey: .upcastAttention) ?? false
        timeEmbeddingDim = try container.decodeIfPresent(Int.self, forKey: .timeEmbeddingDim)
        convInKernel = try container.decodeIfPresent(Int.self, forKey: .convInKernel) ?? defaults.convInKernel
        convOutKernel = try container.decodeIfPresent(Int.self, forKey: .convOutKernel) ?? defaults.convOutKernel
        additionEmbedType = try container.decodeIfPresent(String.self, forKey: .additionEmbedType).flatMap(AdditionEmbedType.init)
        additionTimeEmbedDim = try container.decodeIfPresent(Int.self, forKey: .additionTimeEmbedDim)
        projectionClassEmbeddingsInputDim = try container.decodeIfPresent(Int.self, forKey: .projectionClassEmbeddingsInputDim)
        try validate()
    }

    /// Encodes in diffusers' spelling (per-block values as lists), loadable by diffusers.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(sampleSize, forKey: .sampleSize)
        try container.encode(inChannels, forKey: .inChannels)
        try container.encode(outChannels, forKey: .outChannels)
        try container.encode(centerInputSample, forKey: .centerInputSample)
        try container.encode(flipSinToCos, forKey: .flipSinToCos)
        try container.encode(freqShift, forKey: .freqShift)
        try container.encode(downBlockTypes.map(\.rawValue), forKey: .downBlockTypes)
        try container.encode(Self.midBlockTypeName, forKey: .midBlockType)
        try container.encode(upBlockTypes.map(\.rawValue), forKey: .upBlockTypes)
        try container.encode(blockOutChannels, forKey: .blockOutChannels)
        try container.encode(layersPerBlock, forKey: .layersPerBlock)
        try container.encode(transformerLayersPerBlock, forKey: .transformerLayersPerBlock)
        try container.encode(downsamplePadding, forKey: .downsamplePadding)
        try container.encode(1, forKey: .midBlockScaleFactor)
        try container.encode("silu", forKey: .actFn)
        try container.encode(normNumGroups, forKey: .normNumGroups)
        try container.encode(normEpsilon, forKey: .normEps)
        try container.encode(crossAttentionDim, forKey: .crossAttentionDim)
        try container.encode(attentionHeads, forKey: .attentionHeadDim)
        try container.encode(useLinearProjection, forKey: .useLinearProjection)
        try container.encode(upcastAttention, forKey: .upcastAttention)
        try container.encodeIfPresent(timeEmbeddingDim, forKey: .timeEmbeddingDim)
        try container.encode(convInKernel, forKey: .convInKernel)
        try container.encode(convOutKernel, forKey: .convOutKernel)
        try container.encodeIfPresent(additionEmbedType?.rawValue, forKey: .additionEmbedType)
        try container.encodeIfPresent(additionTimeEmbedDim, forKey: .additionTimeEmbedDim)
        try container.encodeIfPresent(projectionClassEmbeddingsInputDim, forKey: .projectionClassEmbeddingsInputDim)
    }

    /// Reads and validates a `config.json`.
    ///
    /// - Parameter path: The file, e.g. `…/unet/config.json`.
    /// - Throws: ``UNetError/configurationUnreadable(path:reason:)`` when the file cannot be read or
    ///   parsed, or the ``UNetError`` describing an unsupported or invalid value.
    public init(contentsOf path: String) throws(UNetError) {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw .configurationUnreadable(path: path, reason: error.localizedDescription)
        }
        try self.init(jsonData: data, path: path)
    }

    /// Decodes and validates a `config.json` held in memory.
    ///
    /// - Parameters:
    ///   - jsonData: The JSON text.
    ///   - path: Where it came from, for error messages.
    /// - Throws: ``UNetError/configurationUnreadable(path:reason:)`` when it is not JSON of the
    ///   expected structure, or the ``UNetError`` describing an unsupported or invalid value.
    public init(jsonData data: Data, path: String = "config.json") throws(UNetError) {
        do { self = try JSONDecoder().decode(UNetConfiguration.self, from: data) } catch let error as UNetError {
            throw error
        } catch {
            throw .configurationUnreadable(path: path, reason: JSONDecodingDiagnostics.misreportedNumber(error, in: data)
                                               ?? UNetConfiguration.describe(error))
        }
    }

    private static func rejectUnsupportedFeatures(in decoder: any Decoder) throws {
        let all = try decoder.container(keyedBy: AnyKey.self)
        for feature in rejectedFeatures {
            let key = AnyKey(feature.key)
            guard all.contains(key) else { continue }
            let value = try all.decode(JSONValue.self, forKey: key)
            // `only_cross_attention` may also be a per-block list of false.
            if case .array(let items) = value, feature.key == "only_cross_attention", items.allSatisfy({ $0 == .bool(false) }) { continue }
            if !feature.accepted.contains(value) {
                throw UNetError.unsupportedConfiguration(key: feature.key, value: value.description, reason: feature.reason)
            }
        }
    }

    private static func blockTypes<T: RawRepresentable & CaseIterable>(
        _ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys, default fallback: [T]
    ) throws -> [T] where T.RawValue == String {
        guard let names = try container.decodeIfPresent([String].self, forKey: key) else { return fallback }
        return try names.map { name in
            // diffusers strips a legacy "UNetRes" prefix from block type names.
            let stripped = name.hasPrefix("UNetRes") ? String(name.dropFirst("UNetRes".count)) : name
            guard let type = T(rawValue: stripped) else {
                throw UNetError.unsupportedConfiguration(key: key.rawValue, value: "\"\(name)\"",
                                                         reason: "supported: \(T.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return type
        }
    }

    /// An integer (the same for every level) or a per-level list.
    private static func perBlock(_ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys,
                                 levels: Int, default fallback: Int) throws -> [Int] {
        guard container.contains(key), try !container.decodeNil(forKey: key) else {
            return Array(repeating: fallback, count: levels)
        }
        if let single = try? container.decode(Int.self, forKey: key) { return Array(repeating: single, count: levels) }
        do { return try container.decode([Int].self, forKey: key) } catch {
            let value = (try? container.decode(JSONValue.self, forKey: key))?.description ?? "?"
            throw UNetError.invalidConfiguration(key: key.rawValue, value: value, expected: "an integer or a list of integers")
        }
    }

    /// `cross_attention_dim` as an integer, or a list whose entries are all equal (one text embedding
    /// feeds every level).
    private static func crossAttentionWidth(_ container: KeyedDecodingContainer<CodingKeys>, default fallback: Int) throws -> Int {
        guard container.contains(.crossAttentionDim) else { return fallback }
        if let single = try? container.decode(Int.self, forKey: .crossAttentionDim) { return single }
        let list = try container.decode([Int].self, forKey: .crossAttentionDim)
        guard let first = list.first, list.allSatisfy({ $0 == first }) else {
            throw UNetError.unsupportedConfiguration(key: "cross_attention_dim", value: "\(list)",
                                                     reason: "one text embedding width must serve every level")
        }
        return first
    }

    private static func describe(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context),
             .dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "'\(path)': \(context.debugDescription)"
        default:
            return "\(error)"
        }
    }
}

/// A coding key for any name, to look at keys the configuration does not store.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// Any JSON value, for checking and reporting keys whose type varies.
enum JSONValue: Decodable, Equatable, Sendable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null
        } else if let value = try? container.decode(Bool.self) { self = .bool(value)
        } else if let value = try? container.decode(Double.self) { self = .number(value)
        } else if let value = try? container.decode(String.self) { self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) { self = .array(value)
        } else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    var description: String {
        switch self {
        case .null: return "null"
        case .bool(let value): return "\(value)"
        case .number(let value): return value == value.rounded() && abs(value) < 1e15 ? "\(Int(value))" : "\(value)"
        case .string(let value): return "\"\(value)\""
        case .array(let items): return "[\(items.map(\.description).joined(separator: ", "))]"
        case .object(let members):
            return "{\(members.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", "))}"
        }
    }
}
