/// The architecture of a ``ControlNetModel``, decoded from a diffusers ControlNet `config.json`
/// (`_class_name` `ControlNetModel`, `models/controlnets/controlnet.py`).
///
/// The encoder half (time embedding, `conv_in`, down blocks, mid block) is described by a
/// ``UNetConfiguration`` whose up blocks mirror the down blocks (a ControlNet has none; they only keep
/// the shared validation meaningful), so the ControlNet reuses the UNet's blocks and their checks.
/// Its own keys: `conditioning_channels`, `conditioning_embedding_out_channels`,
/// `controlnet_conditioning_channel_order` and `global_pool_conditions`.
///
/// Not supported (rejected when decoding): SDXL ControlNets (`addition_embed_type`), ControlNets with
/// `global_pool_conditions` (shuffle-style models, which diffusers runs in guess mode), and any other
/// class than `ControlNetModel` (ControlNet-XS, union, SD3 / Flux ControlNets).
public struct ControlNetConfiguration: Sendable, Equatable {
    /// The order of the control image's colour channels the model was trained on.
    public enum ChannelOrder: String, Sendable, CaseIterable {
        /// Red, green, blue (every published SD 1.x/2.x ControlNet).
        case rgb
        /// Blue, green, red: the image's channels are reversed before the conditioning embedding.
        case bgr
    }

    /// The encoder half's architecture, as the UNet it was made from (`ControlNetModel.from_unet`).
    public var unet: UNetConfiguration
    /// Channels of the control image (`conditioning_channels`, 3).
    public var conditioningChannels: Int
    /// Widths of the conditioning embedding's convolutions (`conditioning_embedding_out_channels`,
    /// (16, 32, 96, 256) as published): each step but the first halves the image's size, so an image
    /// of `2^(count−1)` × the latent size arrives at the latent size.
    public var conditioningEmbeddingChannels: [Int]
    /// `controlnet_conditioning_channel_order`.
    public var channelOrder: ChannelOrder

    /// A configuration for a ControlNet made from a UNet of architecture `unet` (diffusers'
    /// `ControlNetModel.from_unet`).
    ///
    /// - Parameters:
    ///   - unet: The base UNet's architecture.
    ///   - conditioningChannels: Channels of the control image.
    ///   - conditioningEmbeddingChannels: Widths of the conditioning embedding.
    ///   - channelOrder: The channel order of the control image.
    public init(unet: UNetConfiguration, conditioningChannels: Int = 3,
                conditioningEmbeddingChannels: [Int] = [16, 32, 96, 256], channelOrder: ChannelOrder = .rgb) {
        var encoder = unet
        encoder.upBlockTypes = unet.downBlockTypes.reversed().map { $0 == .crossAttention ? .crossAttention : .resnet }
        self.unet = encoder
        self.conditioningChannels = conditioningChannels
        self.conditioningEmbeddingChannels = conditioningEmbeddingChannels
        self.channelOrder = channelOrder
    }

    /// Number of skip connections the encoder produces, hence of down residuals: `conv_in`'s output,
    /// every resnet (with its attention) and every downsample.
    public var residualCount: Int { 1 + unet.layersPerBlock.reduce(0, +) + (unet.levels - 1) }

    /// How many times larger than the latents the control image is (`2^(embedding steps − 1)`).
    public var imageScaleFactor: Int { 1 << max(0, conditioningEmbeddingChannels.count - 1) }

    /// Checks the configuration.
    ///
    /// - Throws: ``UNetError/invalidConfiguration(key:value:expected:)`` for a value out of range.
    public func validate() throws(UNetError) {
        try unet.validate()
        guard conditioningChannels >= 1 else {
            throw .invalidConfiguration(key: "conditioning_channels", value: "\(conditioningChannels)", expected: "at least 1")
        }
        guard !conditioningEmbeddingChannels.isEmpty, conditioningEmbeddingChannels.allSatisfy({ $0 >= 1 }) else {
            throw .invalidConfiguration(key: "conditioning_embedding_out_channels", value: "\(conditioningEmbeddingChannels)",
                                        expected: "a non-empty list of positive widths")
        }
    }
}
