import Foundation
import TensorModule

/// The configuration of diffusers' `AutoencoderTiny` (`models/autoencoders/autoencoder_tiny.py`, TAESD),
/// decoded from its `config.json`.
///
/// Published TAESD configs (madebyollin/taesd, taesdxl) list `encoder_block_out_channels` and
/// `decoder_block_out_channels` and no `block_out_channels`; diffusers registers
/// `block_out_channels = decoder_block_out_channels` itself, so the downsampling factor (8) comes from
/// the decoder's levels. Keys missing from the JSON take `AutoencoderTiny.__init__`'s defaults.
///
/// Supported: `act_fn` `relu` (TAESD's), `silu`/`swish`; `upsample_fn` `nearest`; every level of a side
/// the same width (diffusers' `EncoderTiny` / `DecoderTiny` build each level's convolutions
/// `width → width`, so other configs cannot run there either). `latent_magnitude` / `latent_shift` only
/// matter for diffusers' 8-bit round trip in `forward`, which pipelines never call; `shift_factor` is
/// not read by the SD pipelines. Anything else is rejected with
/// ``VAEError/invalidConfiguration(key:value:reason:)``.
public struct AutoencoderTinyConfiguration: Codable, Sendable, Equatable {
    /// Channels of the images (`in_channels`, 3).
    public var inChannels: Int
    /// Channels the decoder produces (`out_channels`, 3).
    public var outChannels: Int
    /// Widths of the encoder levels, finest first (`encoder_block_out_channels`).
    public var encoderBlockOutChannels: [Int]
    /// Widths of the decoder levels, coarsest first (`decoder_block_out_channels`).
    public var decoderBlockOutChannels: [Int]
    /// `AutoencoderTinyBlock`s per encoder level (`num_encoder_blocks`).
    public var encoderBlockCounts: [Int]
    /// `AutoencoderTinyBlock`s per decoder level (`num_decoder_blocks`).
    public var decoderBlockCounts: [Int]
    /// Activation inside the blocks (`act_fn`): `relu`, or `silu` / `swish`.
    public var activation: String
    /// Upsampling mode between decoder levels (`upsample_fn`): `nearest`.
    public var upsampleMode: String
    /// Upsampling factor between decoder levels (`upsampling_scaling_factor`, 2).
    public var upsamplingFactor: Int
    /// Channels of the latent space (`latent_channels`, 4).
    public var latentChannels: Int
    /// Latents are multiplied by this after encoding and divided by it before decoding
    /// (`scaling_factor`, 1.0 for every published TAESD).
    public var scalingFactor: Double

    /// Creates a configuration; defaults are diffusers' `AutoencoderTiny.__init__` defaults (TAESD's).
    ///
    /// - Parameters: see the properties of the same names.
    public init(inChannels: Int = 3, outChannels: Int = 3, encoderBlockOutChannels: [Int] = [64, 64, 64, 64],
                decoderBlockOutChannels: [Int] = [64, 64, 64, 64], encoderBlockCounts: [Int] = [1, 3, 3, 3],
                decoderBlockCounts: [Int] = [3, 3, 3, 1], activation: String = "relu", upsampleMode: String = "nearest",
                upsamplingFactor: Int = 2, latentChannels: Int = 4, scalingFactor: Double = 1.0) {
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.encoderBlockOutChannels = encoderBlockOutChannels
        self.decoderBlockOutChannels = decoderBlockOutChannels
        self.encoderBlockCounts = encoderBlockCounts
        self.decoderBlockCounts = decoderBlockCounts
        self.activation = activation
        self.upsampleMode = upsampleMode
        self.upsamplingFactor = upsamplingFactor
        self.latentChannels = latentChannels
        self.scalingFactor = scalingFactor
    }

    /// TAESD as published (`madebyollin/taesd` for SD 1.x/2.x, `madebyollin/taesdxl` for SDXL: the same
    /// architecture, different weights): four levels of 64 channels, blocks 1-3-3-3 / 3-3-3-1, ReLU.
    public static let taesd = AutoencoderTinyConfiguration()

    /// How many times smaller the latents are than the image on each side: the upsampling factor to
    /// the power of (decoder levels − 1), 8 for TAESD (diffusers' `vae_scale_factor` from
    /// `block_out_channels`).
    public var downsamplingFactor: Int {
        var factor = 1
        for _ in 1..<max(1, decoderBlockOutChannels.count) { factor *= upsamplingFactor }
        return factor
    }

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
        for (key, widths, counts, countKey) in [
            ("encoder_block_out_channels", encoderBlockOutChannels, encoderBlockCounts, "num_encoder_blocks"),
            ("decoder_block_out_channels", decoderBlockOutChannels, decoderBlockCounts, "num_decoder_blocks"),
        ] {
            guard !widths.isEmpty, widths.count <= 16 else { throw fail(key, widths, "must list 1 to 16 levels") }
            guard let first = widths.first, first >= 1, widths.allSatisfy({ $0 == first }) else {
                throw fail(key, widths, "every level must have the same positive width (diffusers' tiny encoder and decoder convolve width → width within and between levels)")
            }
            guard counts.count == widths.count else {
                throw fail(countKey, counts, "needs one entry per \(key) entry (\(widths.count))")
            }
            guard counts.allSatisfy({ $0 >= 0 }) else { throw fail(countKey, counts, "must not be negative") }
        }
        guard ["relu", "silu", "swish"].contains(activation) else {
            throw fail("act_fn", activation, "unsupported activation; supported: relu, silu, swish")
        }
        guard upsampleMode == "nearest" else { throw fail("upsample_fn", upsampleMode, "unsupported; supported: nearest") }
        guard (1...8).contains(upsamplingFactor) else {
            throw fail("upsampling_scaling_factor", upsamplingFactor, "must be in 1…8")
        }
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
        self = try ConfigurationFile.decode(Self.self, from: ConfigurationFile.data(at: url), path: url.path)
    }

    enum CodingKeys: String, CodingKey {
        case inChannels = "in_channels"
        case outChannels = "out_channels"
        case encoderBlockOutChannels = "encoder_block_out_channels"
        case decoderBlockOutChannels = "decoder_block_out_channels"
        case encoderBlockCounts = "num_encoder_blocks"
        case decoderBlockCounts = "num_decoder_blocks"
        case activation = "act_fn"
        case upsampleMode = "upsample_fn"
        case upsamplingFactor = "upsampling_scaling_factor"
        case latentChannels = "latent_channels"
        case scalingFactor = "scaling_factor"
    }

    /// Decodes diffusers' JSON, filling absent keys with diffusers' defaults, then validates.
    ///
    /// - Throws: `DecodingError` for wrong JSON types, ``VAEError`` for invalid values.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = Self.taesd
        self.init(
            inChannels: try c.decodeIfPresent(Int.self, forKey: .inChannels) ?? defaults.inChannels,
            outChannels: try c.decodeIfPresent(Int.self, forKey: .outChannels) ?? defaults.outChannels,
            encoderBlockOutChannels: try c.decodeIfPresent([Int].self, forKey: .encoderBlockOutChannels) ?? defaults.encoderBlockOutChannels,
            decoderBlockOutChannels: try c.decodeIfPresent([Int].self, forKey: .decoderBlockOutChannels) ?? defaults.decoderBlockOutChannels,
            encoderBlockCounts: try c.decodeIfPresent([Int].self, forKey: .encoderBlockCounts) ?? defaults.encoderBlockCounts,
            decoderBlockCounts: try c.decodeIfPresent([Int].self, forKey: .decoderBlockCounts) ?? defaults.decoderBlockCounts,
            activation: try c.decodeIfPresent(String.self, forKey: .activation) ?? defaults.activation,
            upsampleMode: try c.decodeIfPresent(String.self, forKey: .upsampleMode) ?? defaults.upsampleMode,
            upsamplingFactor: try c.decodeIfPresent(Int.self, forKey: .upsamplingFactor) ?? defaults.upsamplingFactor,
            latentChannels: try c.decodeIfPresent(Int.self, forKey: .latentChannels) ?? defaults.latentChannels,
            scalingFactor: try c.decodeIfPresent(Double.self, forKey: .scalingFactor) ?? defaults.scalingFactor)
        try validate()
    }

    /// Encodes in diffusers' JSON spelling.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(inChannels, forKey: .inChannels)
        try c.encode(outChannels, forKey: .outChannels)
        try c.encode(encoderBlockOutChannels, forKey: .encoderBlockOutChannels)
        try c.encode(decoderBlockOutChannels, forKey: .decoderBlockOutChannels)
        try c.encode(encoderBlockCounts, forKey: .encoderBlockCounts)
        try c.encode(decoderBlockCounts, forKey: .decoderBlockCounts)
        try c.encode(activation, forKey: .activation)
        try c.encode(upsampleMode, forKey: .upsampleMode)
        try c.encode(upsamplingFactor, forKey: .upsamplingFactor)
        try c.encode(latentChannels, forKey: .latentChannels)
        try c.encode(scalingFactor, forKey: .scalingFactor)
    }
}
