import Foundation
import TensorModule

/// The configuration of diffusers' `AutoencoderKL` (`models/autoencoders/autoencoder_kl.py`), decoded
/// from a model folder's `vae/config.json`.
///
/// Keys missing from the JSON take diffusers' constructor defaults (so SD 1.5's config, which has no
/// `scaling_factor`, gets 0.18215). Keys the SD 1.x / 2.x pipelines never read (`force_upcast`,
/// `shift_factor`, `latents_mean`, `latents_std`) are ignored, as those pipelines ignore them.
/// Supports `DownEncoderBlock2D` / `UpDecoderBlock2D` blocks and SiLU; anything else is rejected with
/// ``VAEError/invalidConfiguration(key:value:reason:)``.
public struct AutoencoderKLConfiguration: Codable, Sendable, Equatable {
    /// Channels of the images (`in_channels`, 3).
    public var inChannels: Int
    /// Channels the decoder produces (`out_channels`, 3).
    public var outChannels: Int
    /// Encoder block types (`down_block_types`), one per entry of ``blockOutChannels``.
    public var downBlockTypes: [String]
    /// Decoder block types (`up_block_types`), one per entry of ``blockOutChannels``.
    public var upBlockTypes: [String]
    /// Widths of the resolution levels, finest first (`block_out_channels`).
    public var blockOutChannels: [Int]
    /// Resnets per encoder block (`layers_per_block`); decoder blocks have one more.
    public var layersPerBlock: Int
    /// Activation (`act_fn`): `silu` (or its alias `swish`).
    public var activation: String
    /// Channels of the latent space (`latent_channels`, 4).
    public var latentChannels: Int
    /// Group-norm groups (`norm_num_groups`).
    public var normGroups: Int
    /// Training image side (`sample_size`; the first entry when the JSON holds a list). Sets the
    /// default tile size of tiled decoding and encoding.
    public var sampleSize: Int
    /// Latents are multiplied by this after encoding and divided by it before decoding (`scaling_factor`).
    public var scalingFactor: Double
    /// Whether the encoder output goes through the 1×1 `quant_conv` (`use_quant_conv`).
    public var useQuantConv: Bool
    /// Whether decoder input goes through the 1×1 `post_quant_conv` (`use_post_quant_conv`).
    public var usePostQuantConv: Bool
    /// Whether the mid blocks have their attention layer (`mid_block_add_attention`).
    public var midBlockAddAttention: Bool

    /// The block type every SD encoder level uses.
    public static let downEncoderBlock = "DownEncoderBlock2D"
    /// The block type every SD decoder level uses.
    public static let upDecoderBlock = "UpDecoderBlock2D"

    /// Creates a configuration; defaults are diffusers' `AutoencoderKL.__init__` defaults except the
    /// block lists, which default to SD's four levels.
    ///
    /// - Parameters: see the properties of the same names.
    public init(inChannels: Int = 3, outChannels: Int = 3, blockOutChannels: [Int] = [128, 256, 512, 512],
                downBlockTypes: [String]? = nil, upBlockTypes: [String]? = nil, layersPerBlock: Int = 2,
                activation: String = "silu", latentChannels: Int = 4, normGroups: Int = 32, sampleSize: Int = 512,
                scalingFactor: Double = 0.18215, useQuantConv: Bool = true, usePostQuantConv: Bool = true,
                midBlockAddAttention: Bool = true) {
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.blockOutChannels = blockOutChannels
        self.downBlockTypes = downBlockTypes ?? Array(repeating: Self.downEncoderBlock, count: blockOutChannels.count)
        self.upBlockTypes = upBlockTypes ?? Array(repeating: Self.upDecoderBlock, count: blockOutChannels.count)
        self.layersPerBlock = layersPerBlock
        self.activation = activation
        self.latentChannels = latentChannels
        self.normGroups = normGroups
        self.sampleSize = sampleSize
        self.scalingFactor = scalingFactor
        self.useQuantConv = useQuantConv
        self.usePostQuantConv = usePostQuantConv
        self.midBlockAddAttention = midBlockAddAttention
    }

    /// Stable Diffusion 1.5's VAE (`stable-diffusion-v1-5/stable-diffusion-v1-5`, `vae/config.json`;
    /// the same VAE as SD 1.4 and SD 2.1-base).
    public static let sd15 = AutoencoderKLConfiguration()

    /// Stable Diffusion 2.1's VAE (`stabilityai/stable-diffusion-2-1`, `vae/config.json`): SD 1.5's
    /// architecture with `sample_size` 768, so default tiles are 768 pixels.
    public static let sd21 = AutoencoderKLConfiguration(sampleSize: 768)

    /// How many times smaller the latents are than the image on each side: 2^(levels − 1), 8 for SD
    /// (diffusers' `vae_scale_factor`).
    public var downsamplingFactor: Int { 1 << max(0, blockOutChannels.count - 1) }

    /// Checks every value the model relies on.
    ///
    /// - Throws: ``VAEError/invalidConfiguration(key:value:reason:)`` naming the first bad key.
    public func validate() throws(VAEError) {
        func fail(_ key: String, _ value: Any, _ reason: String) -> VAEError {
            .invalidConfiguration(key: key, value: "\(value)", reason: reason)
        }
        guard inChannels >= 1 else { throw fail("in_channels", inChannels, "must be at least 1") }
        guard outChannels >= 1 else { throw fail("out_channels", outChannels, "must be at least 1") }
        guard latentChannels >= 1 else { throw fail("latent_channels", latentChannels, "must be at least 1") }
        guard !blockOutChannels.isEmpty, blockOutChannels.count <= 16 else {
            throw fail("block_out_channels", blockOutChannels, "must list 1 to 16 levels")
        }
        guard normGroups >= 1 else { throw fail("norm_num_groups", normGroups, "must be at least 1") }
        for channels in blockOutChannels where channels < 1 || channels % normGroups != 0 {
            throw fail("block_out_channels", blockOutChannels,
                       "every entry must be positive and divisible by norm_num_groups (\(normGroups))")
        }
        guard layersPerBlock >= 1 else { throw fail("layers_per_block", layersPerBlock, "must be at least 1") }
        guard downBlockTypes.count == blockOutChannels.count else {
            throw fail("down_block_types", downBlockTypes, "needs one entry per block_out_channels entry (\(blockOutChannels.count))")
        }
        guard upBlockTypes.count == blockOutChannels.count else {
            throw fail("up_block_types", upBlockTypes, "needs one entry per block_out_channels entry (\(blockOutChannels.count))")
        }
        for type in downBlockTypes where type != Self.downEncoderBlock {
            throw fail("down_block_types", type, "unsupported block type; supported: \(Self.downEncoderBlock)")
        }
        for type in upBlockTypes where type != Self.upDecoderBlock {
            throw fail("up_block_types", type, "unsupported block type; supported: \(Self.upDecoderBlock)")
        }
        guard activation == "silu" || activation == "swish" else {
            throw fail("act_fn", activation, "unsupported activation; supported: silu, swish")
        }
        guard sampleSize >= 1 else { throw fail("sample_size", sampleSize, "must be at least 1") }
        guard scalingFactor.isFinite, scalingFactor > 0 else {
            throw fail("scaling_factor", scalingFactor, "must be a positive finite number")
        }
    }

    /// Reads and validates a `config.json`.
    ///
    /// - Parameter url: The JSON file.
    /// - Throws: ``VAEError/configurationUnreadable(path:reason:)`` for a missing or malformed file,
    ///   ``VAEError/invalidConfiguration(key:value:reason:)`` for bad values.
    public init(contentsOf url: URL) throws(VAEError) {
        try self.init(jsonData: ConfigurationFile.data(at: url), path: url.path)
    }

    /// Decodes and validates a `config.json` held in memory.
    ///
    /// - Parameters:
    ///   - jsonData: The JSON text.
    ///   - path: Where it came from, for error messages.
    /// - Throws: ``VAEError/configurationUnreadable(path:reason:)`` for malformed JSON,
    ///   ``VAEError/invalidConfiguration(key:value:reason:)`` for bad values.
    public init(jsonData data: Data, path: String = "config.json") throws(VAEError) {
        self = try ConfigurationFile.decode(Self.self, from: data, path: path)
    }

    enum CodingKeys: String, CodingKey {
        case inChannels = "in_channels"
        case outChannels = "out_channels"
        case downBlockTypes = "down_block_types"
        case upBlockTypes = "up_block_types"
        case blockOutChannels = "block_out_channels"
        case layersPerBlock = "layers_per_block"
        case activation = "act_fn"
        case latentChannels = "latent_channels"
        case normGroups = "norm_num_groups"
        case sampleSize = "sample_size"
        case scalingFactor = "scaling_factor"
        case useQuantConv = "use_quant_conv"
        case usePostQuantConv = "use_post_quant_conv"
        case midBlockAddAttention = "mid_block_add_attention"
    }

    /// Decodes diffusers' JSON, filling absent keys with diffusers' defaults, then validates.
    ///
    /// - Throws: `DecodingError` for wrong JSON types, ``VAEError`` for invalid values.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        // diffusers' AutoencoderKL.__init__ defaults, used for keys a config omits.
        let blocks = try c.decodeIfPresent([Int].self, forKey: .blockOutChannels) ?? [64]
        self.init(
            inChannels: try c.decodeIfPresent(Int.self, forKey: .inChannels) ?? 3,
            outChannels: try c.decodeIfPresent(Int.self, forKey: .outChannels) ?? 3,
            blockOutChannels: blocks,
            downBlockTypes: try c.decodeIfPresent([String].self, forKey: .downBlockTypes) ?? [Self.downEncoderBlock],
            upBlockTypes: try c.decodeIfPresent([String].self, forKey: .upBlockTypes) ?? [Self.upDecoderBlock],
            layersPerBlock: try c.decodeIfPresent(Int.self, forKey: .layersPerBlock) ?? 1,
            activation: try c.decodeIfPresent(String.self, forKey: .activation) ?? "silu",
            latentChannels: try c.decodeIfPresent(Int.self, forKey: .latentChannels) ?? 4,
            normGroups: try c.decodeIfPresent(Int.self, forKey: .normGroups) ?? 32,
            sampleSize: try Self.decodeSampleSize(c) ?? 32,
            scalingFactor: try c.decodeIfPresent(Double.self, forKey: .scalingFactor) ?? 0.18215,
            useQuantConv: try c.decodeIfPresent(Bool.self, forKey: .useQuantConv) ?? true,
            usePostQuantConv: try c.decodeIfPresent(Bool.self, forKey: .usePostQuantConv) ?? true,
            midBlockAddAttention: try c.decodeIfPresent(Bool.self, forKey: .midBlockAddAttention) ?? true)
        try validate()
    }

    /// `sample_size` is an int, or a `[height, width]` list whose first entry diffusers' tiling uses.
    private static func decodeSampleSize(_ c: KeyedDecodingContainer<CodingKeys>) throws -> Int? {
        if let size = try? c.decodeIfPresent(Int.self, forKey: .sampleSize) { return size }
        guard let sizes = try c.decodeIfPresent([Int].self, forKey: .sampleSize) else { return nil }
        guard let first = sizes.first else {
            throw VAEError.invalidConfiguration(key: "sample_size", value: "[]", reason: "must be an integer or a non-empty list")
        }
        return first
    }

    /// Encodes in diffusers' JSON spelling.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(inChannels, forKey: .inChannels)
        try c.encode(outChannels, forKey: .outChannels)
        try c.encode(downBlockTypes, forKey: .downBlockTypes)
        try c.encode(upBlockTypes, forKey: .upBlockTypes)
        try c.encode(blockOutChannels, forKey: .blockOutChannels)
        try c.encode(layersPerBlock, forKey: .layersPerBlock)
        try c.encode(activation, forKey: .activation)
        try c.encode(latentChannels, forKey: .latentChannels)
        try c.encode(normGroups, forKey: .normGroups)
        try c.encode(sampleSize, forKey: .sampleSize)
        try c.encode(scalingFactor, forKey: .scalingFactor)
        try c.encode(useQuantConv, forKey: .useQuantConv)
        try c.encode(usePostQuantConv, forKey: .usePostQuantConv)
        try c.encode(midBlockAddAttention, forKey: .midBlockAddAttention)
    }
}
