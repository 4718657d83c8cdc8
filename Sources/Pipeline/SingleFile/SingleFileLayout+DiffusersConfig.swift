import Foundation

extension SingleFileLayout {
    /// Reads the layout from a diffusers model folder's `unet/config.json`, `vae/config.json` and
    /// `text_encoder/config.json`, as diffusers' `from_single_file(path, config=folder)` does. Keys a
    /// config omits take the diffusers / transformers class defaults.
    ///
    /// - Parameter folder: The model folder (the one holding `model_index.json`).
    /// - Throws: ``SingleFileError/invalidConfig(path:key:reason:)`` naming the file and key when a
    ///   config is missing, malformed, or describes a structure single files cannot have (other block
    ///   types, per-layer transformer depths, …).
    public init(diffusersFolder folder: String) throws(SingleFileError) {
        let root = URL(fileURLWithPath: folder)
        let unetPath = root.appendingPathComponent("unet/config.json").path
        let vaePath = root.appendingPathComponent("vae/config.json").path
        let textPath = root.appendingPathComponent("text_encoder/config.json").path
        let unet = try decodeConfig(UNetConfigKeys.self, at: unetPath)
        let vae = try decodeConfig(VAEConfigKeys.self, at: vaePath)
        let text = try decodeConfig(TextConfigKeys.self, at: textPath)
        self.init(unet: try unet.layout(path: unetPath), vae: try vae.layout(path: vaePath),
                  textEncoder: try text.layout(path: textPath))
    }
}

/// Decodes a config file, turning every failure into an error that names the file and key.
private func decodeConfig<T: Decodable>(_ type: T.Type, at path: String) throws(SingleFileError) -> T {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw .invalidConfig(path: path, key: nil, reason: "file not found or unreadable")
    }
    do {
        return try JSONDecoder().decode(T.self, from: data)
    } catch let DecodingError.typeMismatch(expected, context) {
        throw .invalidConfig(path: path, key: context.codingPath.map(\.stringValue).joined(separator: "."),
                             reason: "expected \(expected): \(context.debugDescription)")
    } catch let DecodingError.valueNotFound(expected, context) {
        throw .invalidConfig(path: path, key: context.codingPath.map(\.stringValue).joined(separator: "."),
                             reason: "expected \(expected), found null")
    } catch let DecodingError.dataCorrupted(context) {
        throw .invalidConfig(path: path, key: context.codingPath.isEmpty ? nil : context.codingPath.map(\.stringValue).joined(separator: "."),
                             reason: context.debugDescription)
    } catch {
        throw .invalidConfig(path: path, key: nil, reason: "not a valid config: \(error)")
    }
}

/// An integer, a list, or a list of lists (diffusers accepts all three for some UNet keys).
private enum NestedIntegers: Decodable {
    case scalar(Int)
    case list([Int])
    case nested([[Int]])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Int.self) { self = .scalar(value) }
        else if let value = try? container.decode([Int].self) { self = .list(value) }
        else { self = .nested(try container.decode([[Int]].self)) }
    }
}

/// The keys of a diffusers `UNet2DConditionModel` config the mapping needs.
private struct UNetConfigKeys: Decodable {
    var downBlockTypes: [String]?
    var upBlockTypes: [String]?
    var blockOutChannels: [Int]?
    var layersPerBlock: NestedIntegers?
    var transformerLayersPerBlock: NestedIntegers?
    var reverseTransformerLayersPerBlock: NestedIntegers?
    var useLinearProjection: Bool?
    var midBlockType: String?

    enum CodingKeys: String, CodingKey {
        case downBlockTypes = "down_block_types", upBlockTypes = "up_block_types"
        case blockOutChannels = "block_out_channels", layersPerBlock = "layers_per_block"
        case transformerLayersPerBlock = "transformer_layers_per_block"
        case reverseTransformerLayersPerBlock = "reverse_transformer_layers_per_block"
        case useLinearProjection = "use_linear_projection", midBlockType = "mid_block_type"
    }

    func layout(path: String) throws(SingleFileError) -> SingleFileLayout.UNetLayout {
        // Defaults: UNet2DConditionModel.__init__ in diffusers 0.42.
        let downTypes = downBlockTypes ?? ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"]
        let upTypes = upBlockTypes ?? ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"]
        func kinds(_ types: [String], key: String, plain: String, attention: String) throws(SingleFileError) -> [SingleFileLayout.BlockKind] {
            var result: [SingleFileLayout.BlockKind] = []
            for type in types {
                switch type {
                case plain: result.append(.plain)
                case attention: result.append(.crossAttention)
                default: throw .invalidConfig(path: path, key: key, reason: "block type '\(type)' is not one of \(plain), \(attention)")
                }
            }
            return result
        }
        let down = try kinds(downTypes, key: "down_block_types", plain: "DownBlock2D", attention: "CrossAttnDownBlock2D")
        let up = try kinds(upTypes, key: "up_block_types", plain: "UpBlock2D", attention: "CrossAttnUpBlock2D")
        guard !down.isEmpty, down.count == up.count else {
            throw .invalidConfig(path: path, key: "up_block_types", reason: "\(up.count) up blocks for \(down.count) down blocks")
        }
        if let channels = blockOutChannels, channels.count != down.count {
            throw .invalidConfig(path: path, key: "block_out_channels", reason: "\(channels.count) entries for \(down.count) blocks")
        }
        let layers: Int
        switch layersPerBlock ?? .scalar(2) {
        case .scalar(let n) where n > 0: layers = n
        case .list(let list) where !list.isEmpty && list.allSatisfy({ $0 == list[0] && $0 > 0 }): layers = list[0]
        default: throw .invalidConfig(path: path, key: "layers_per_block", reason: "must be a positive integer (per-block counts are not supported)")
        }
        let depths: [Int]
        switch transformerLayersPerBlock ?? .scalar(1) {
        case .scalar(let n) where n > 0: depths = Array(repeating: n, count: down.count)
        case .list(let list) where list.count == down.count && list.allSatisfy({ $0 > 0 }): depths = list
        default:
            throw .invalidConfig(path: path, key: "transformer_layers_per_block",
                                 reason: "must be a positive integer or one per down block (\(down.count))")
        }
        if reverseTransformerLayersPerBlock != nil {
            throw .invalidConfig(path: path, key: "reverse_transformer_layers_per_block", reason: "not supported for SD 1.x / 2.x single files (must be null)")
        }
        if let mid = midBlockType, mid != "UNetMidBlock2DCrossAttn" {
            throw .invalidConfig(path: path, key: "mid_block_type", reason: "'\(mid)' is not supported (UNetMidBlock2DCrossAttn)")
        }
        return SingleFileLayout.UNetLayout(downBlocks: down, upBlocks: up, layersPerBlock: layers,
                                           transformerLayersPerBlock: depths, useLinearProjection: useLinearProjection ?? false)
    }
}

/// The keys of a diffusers `AutoencoderKL` config the mapping needs.
private struct VAEConfigKeys: Decodable {
    var downBlockTypes: [String]?
    var upBlockTypes: [String]?
    var blockOutChannels: [Int]?
    var layersPerBlock: Int?
    var midBlockAddAttention: Bool?

    enum CodingKeys: String, CodingKey {
        case downBlockTypes = "down_block_types", upBlockTypes = "up_block_types"
        case blockOutChannels = "block_out_channels", layersPerBlock = "layers_per_block"
        case midBlockAddAttention = "mid_block_add_attention"
    }

    func layout(path: String) throws(SingleFileError) -> SingleFileLayout.VAELayout {
        // Defaults: AutoencoderKL.__init__ in diffusers 0.42.
        let channels = blockOutChannels ?? [64]
        let count = channels.count
        guard count > 0 else { throw .invalidConfig(path: path, key: "block_out_channels", reason: "must not be empty") }
        if let types = downBlockTypes, types.count != count || types.contains(where: { $0 != "DownEncoderBlock2D" }) {
            throw .invalidConfig(path: path, key: "down_block_types", reason: "expected \(count) × DownEncoderBlock2D, got \(types)")
        }
        if let types = upBlockTypes, types.count != count || types.contains(where: { $0 != "UpDecoderBlock2D" }) {
            throw .invalidConfig(path: path, key: "up_block_types", reason: "expected \(count) × UpDecoderBlock2D, got \(types)")
        }
        let layers = layersPerBlock ?? 1
        guard layers > 0 else { throw .invalidConfig(path: path, key: "layers_per_block", reason: "must be positive, got \(layers)") }
        return SingleFileLayout.VAELayout(blockCount: count, layersPerBlock: layers, midBlockHasAttention: midBlockAddAttention ?? true)
    }
}

/// The key of a transformers `CLIPTextConfig` the mapping needs.
private struct TextConfigKeys: Decodable {
    var numHiddenLayers: Int?

    enum CodingKeys: String, CodingKey { case numHiddenLayers = "num_hidden_layers" }

    func layout(path: String) throws(SingleFileError) -> SingleFileLayout.TextEncoderLayout {
        let layers = numHiddenLayers ?? 12  // CLIPTextConfig's default
        guard layers > 0 else { throw .invalidConfig(path: path, key: "num_hidden_layers", reason: "must be positive, got \(layers)") }
        return SingleFileLayout.TextEncoderLayout(layerCount: layers)
    }
}
