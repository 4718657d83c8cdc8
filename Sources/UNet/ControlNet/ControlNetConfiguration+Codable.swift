import Foundation
import TensorModule

extension ControlNetConfiguration: Decodable {
    /// The keys only a ControlNet has; everything else is the encoder's UNet configuration.
    enum CodingKeys: String, CodingKey {
        case className = "_class_name", conditioningChannels = "conditioning_channels"
        case conditioningEmbeddingChannels = "conditioning_embedding_out_channels"
        case channelOrder = "controlnet_conditioning_channel_order", globalPoolConditions = "global_pool_conditions"
        case additionEmbedType = "addition_embed_type"
    }

    /// Decodes the ControlNet-only keys; use ``init(jsonData:path:)``, which also decodes the encoder's
    /// UNet configuration from the same JSON.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let name = try container.decodeIfPresent(String.self, forKey: .className), name != "ControlNetModel" {
            throw UNetError.unsupportedConfiguration(key: "_class_name", value: "\"\(name)\"",
                                                     reason: "only ControlNetModel (SD 1.x/2.x ControlNets) is supported")
        }
        if let addition = try container.decodeIfPresent(String.self, forKey: .additionEmbedType) {
            throw UNetError.unsupportedConfiguration(key: "addition_embed_type", value: "\"\(addition)\"",
                                                     reason: "this is an SDXL ControlNet; only SD 1.x/2.x ControlNets are supported")
        }
        if try container.decodeIfPresent(Bool.self, forKey: .globalPoolConditions) == true {
            throw UNetError.unsupportedConfiguration(key: "global_pool_conditions", value: "true",
                                                     reason: "pooled-condition ControlNets (diffusers runs them in guess mode) are not supported")
        }
        let order = try container.decodeIfPresent(String.self, forKey: .channelOrder) ?? "rgb"
        guard let channelOrder = ChannelOrder(rawValue: order) else {
            throw UNetError.unsupportedConfiguration(key: "controlnet_conditioning_channel_order", value: "\"\(order)\"",
                                                     reason: "expected \"rgb\" or \"bgr\"")
        }
        self.init(unet: UNetConfiguration(),
                  conditioningChannels: try container.decodeIfPresent(Int.self, forKey: .conditioningChannels) ?? 3,
                  conditioningEmbeddingChannels: try container.decodeIfPresent([Int].self, forKey: .conditioningEmbeddingChannels)
                      ?? [16, 32, 96, 256],
                  channelOrder: channelOrder)
    }

    /// Reads and validates a ControlNet `config.json`.
    ///
    /// - Parameter path: The file, e.g. `…/control_v11p_sd15_canny/config.json`.
    /// - Throws: ``UNetError/configurationUnreadable(path:reason:)`` when the file cannot be read or
    ///   parsed, or the ``UNetError`` describing an unsupported or invalid value.
    public init(contentsOf path: String) throws(UNetError) {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw .configurationUnreadable(path: path, reason: error.localizedDescription)
        }
        try self.init(jsonData: data, path: path)
    }

    /// Decodes and validates a ControlNet `config.json` held in memory: the ControlNet-only keys, then
    /// the rest as the encoder's ``UNetConfiguration`` (with the UNet's own checks and rejections; the
    /// up blocks a ControlNet does not have mirror its down blocks).
    ///
    /// - Parameters:
    ///   - data: The JSON text.
    ///   - path: Where it came from, for error messages.
    /// - Throws: ``UNetError/configurationUnreadable(path:reason:)`` when it is not a JSON object of the
    ///   expected structure, or the ``UNetError`` describing an unsupported or invalid value.
    public init(jsonData data: Data, path: String = "config.json") throws(UNetError) {
        var options: ControlNetConfiguration
        do { options = try JSONDecoder().decode(ControlNetConfiguration.self, from: data) } catch let error as UNetError {
            throw error
        } catch {
            throw .configurationUnreadable(path: path, reason: "\(error)")
        }
        guard var object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw .configurationUnreadable(path: path, reason: "not a JSON object")
        }
        let downTypes = object["down_block_types"] as? [String] ?? UNetConfiguration().downBlockTypes.map(\.rawValue)
        object["up_block_types"] = downTypes.reversed().map { $0.hasPrefix("CrossAttn") ? "CrossAttnUpBlock2D" : "UpBlock2D" }
        for key in CodingKeys.allNames { object.removeValue(forKey: key) }
        let encoderData: Data
        do { encoderData = try JSONSerialization.data(withJSONObject: object) } catch {
            throw .configurationUnreadable(path: path, reason: "\(error)")
        }
        options.unet = try UNetConfiguration(jsonData: encoderData, path: path)
        self = options
        try validate()
    }
}

extension ControlNetConfiguration.CodingKeys {
    /// Every ControlNet-only key, removed before the rest is read as a UNet configuration.
    static let allNames = ["_class_name", "conditioning_channels", "conditioning_embedding_out_channels",
                           "controlnet_conditioning_channel_order", "global_pool_conditions"]
}
