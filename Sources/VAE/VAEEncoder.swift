import Foundation
import Layers

/// The encoding half of diffusers' `AutoencoderKL`: `Encoder` (`models/autoencoders/vae.py`) and
/// `quant_conv` — conv_in, one `DownEncoderBlock2D` per level (`layers_per_block` resnets, then a
/// stride-2 convolution after padding one pixel right and bottom, except at the deepest level), mid
/// block, group norm, SiLU, conv_out to mean and log-variance, `quant_conv`.
///
/// Checkpoint keys: `encoder.*` and `quant_conv.*`.
public struct VAEEncoder: LatentEncoding {
    /// The model's configuration.
    public let configuration: AutoencoderKLConfiguration
    /// Tiled encoding for large images; nil (the default) never tiles.
    public var tiling: VAETiling?

    let convIn: Conv2D
    let downBlocks: [DownEncoderBlock2D]
    let midBlock: VAEMidBlock
    let normOut: GroupNorm
    let convOut: Conv2D
    let quantConv: Conv2D?

    /// Builds the encoder from weights under diffusers' names.
    ///
    /// - Parameters:
    ///   - configuration: The model's configuration (validated here).
    ///   - weights: Reader at the root of the VAE checkpoint (it reads `encoder` and `quant_conv`).
    ///   - tiling: Initial tiling option.
    /// - Throws: ``VAEError/invalidConfiguration(key:value:reason:)``, or ``VAEError/tensor(_:)`` for a
    ///   missing or misshapen weight.
    public init(configuration: AutoencoderKLConfiguration, weights: WeightReader, tiling: VAETiling? = nil) throws(VAEError) {
        try configuration.validate()
        self.configuration = configuration
        self.tiling = tiling
        let config = configuration
        let channels = config.blockOutChannels, groups = config.normGroups
        let encoder = weights.scoped("encoder")
        convIn = try wrappingTensorErrors { () throws(TensorError) in
            try Conv2D(weights: encoder.scoped("conv_in"), inChannels: config.inChannels, outChannels: channels[0],
                       kernelSize: 3, padding: .uniform(1))
        }
        var blocks: [DownEncoderBlock2D] = []
        for (index, outChannels) in channels.enumerated() {
            let inChannels = index == 0 ? channels[0] : channels[index - 1]
            blocks.append(try wrappingTensorErrors { () throws(TensorError) in
                try DownEncoderBlock2D(weights: encoder.scoped("down_blocks", index), inChannels: inChannels,
                                       outChannels: outChannels, layers: config.layersPerBlock, groups: groups,
                                       addDownsample: index < channels.count - 1)
            })
        }
        downBlocks = blocks
        let deepest = channels[channels.count - 1], moments = 2 * config.latentChannels
        midBlock = try wrappingTensorErrors { () throws(TensorError) in
            try VAEMidBlock(weights: encoder.scoped("mid_block"), channels: deepest, groups: groups,
                            addAttention: config.midBlockAddAttention)
        }
        normOut = try wrappingTensorErrors { () throws(TensorError) in
            try GroupNorm(weights: encoder.scoped("conv_norm_out"), groups: groups, channels: deepest, epsilon: 1e-6)
        }
        convOut = try wrappingTensorErrors { () throws(TensorError) in
            try Conv2D(weights: encoder.scoped("conv_out"), inChannels: deepest, outChannels: moments,
                       kernelSize: 3, padding: .uniform(1))
        }
        quantConv = try wrappingTensorErrors { () throws(TensorError) in
            config.useQuantConv
                ? try Conv2D(weights: weights.scoped("quant_conv"), inChannels: moments, outChannels: moments, kernelSize: 1)
                : nil
        }
    }

    /// Loads the encoder from a VAE folder, strictly: every encoder tensor must be present with its
    /// shape, and every tensor in the file must belong to the encoder or to the decoder
    /// (`decoder.*`, `post_quant_conv.*`, skipped unread).
    ///
    /// - Parameters:
    ///   - directory: The `vae` folder of a Stable Diffusion model.
    ///   - variant: nil for `diffusion_pytorch_model.safetensors` (falling back to the `.fp16` file if it
    ///     is the only one), or a variant name such as `"fp16"`.
    ///   - tiling: Initial tiling option.
    /// - Throws: ``VAEError`` for a missing or invalid configuration, missing weights file, or
    ///   missing, misshapen or unexpected tensors.
    public init(directory: URL, variant: String? = nil, tiling: VAETiling? = nil) throws(VAEError) {
        let folder = try VAEModelFolder(directory: directory, variant: variant)
        try self.init(configuration: folder.configuration, weights: folder.loader.reader(), tiling: tiling)
        try folder.finish(ignoringPrefixes: VAEDecoder.checkpointPrefixes)
    }

    /// Key prefixes this half of the checkpoint owns.
    static let checkpointPrefixes = ["encoder.", "quant_conv."]

    /// Channels of the latents (`latent_channels`).
    public var latentChannels: Int { configuration.latentChannels }
    /// 2^(levels − 1): 8 for SD.
    public var downsamplingFactor: Int { configuration.downsamplingFactor }

    /// Encodes images into the posterior over latents in the VAE's own scale (diffusers'
    /// `vae.encode(image).latent_dist`). Tiles if ``tiling`` is set and the image is larger than one tile.
    ///
    /// - Parameter image: `[N, in_channels, H, W]` in [-1, 1].
    /// - Returns: The posterior; its latents are `[N, latent_channels, ⌊H/8⌋, ⌊W/8⌋]` for SD.
    /// - Throws: ``VAEError/invalidInput(parameter:shape:expected:)`` for a wrong shape or an image
    ///   smaller than the downsampling factor, ``VAEError/invalidTiling(parameter:value:reason:)``, or
    ///   ``VAEError/tensor(_:)``.
    public func posterior(image: Tensor) throws(VAEError) -> DiagonalGaussianDistribution {
        let factor = downsamplingFactor
        guard image.rank == 4, image.shape[0] >= 1, image.shape[1] == configuration.inChannels,
              image.shape[2] >= factor, image.shape[3] >= factor else {
            throw .invalidInput(parameter: "image", shape: image.shape,
                                expected: "[N, \(configuration.inChannels), H, W] with N ≥ 1 and H, W ≥ \(factor)")
        }
        if let tiling {
            let plan = try TilePlan.encoding(tiling, downsamplingFactor: factor)
            if image.shape[2] > plan.inputTile || image.shape[3] > plan.inputTile {
                let moments = try TiledProcessing.run(image, plan: plan) { (tile) throws(VAEError) in
                    try wrappingTensorErrors { () throws(TensorError) in try run(tile) }
                }
                return try DiagonalGaussianDistribution(moments: moments)
            }
        }
        return try DiagonalGaussianDistribution(moments: wrappingTensorErrors { () throws(TensorError) in try run(image) })
    }

    /// Encodes images into latents in the diffusion model's scale: a posterior sample (or its mode when
    /// `random` is nil) times `scaling_factor`, as diffusers' img2img pipeline prepares its initial latents.
    ///
    /// - Parameters:
    ///   - image: `[N, in_channels, H, W]` in [-1, 1].
    ///   - random: Source of the sample's noise (one request of the latents' shape), or nil for the mode.
    /// - Returns: `[N, latent_channels, ⌊H/8⌋, ⌊W/8⌋]` for SD.
    /// - Throws: As ``posterior(image:)``, and ``VAEError/noiseShapeMismatch(expected:actual:)``.
    public func encode(image: Tensor, random: (any RandomSource)?) throws(VAEError) -> Tensor {
        let distribution = try posterior(image: image)
        let latents = try random.map { (source) throws(VAEError) in try distribution.sample(using: source) } ?? distribution.mode()
        let factor = Float(configuration.scalingFactor)
        return latents.map { factor * $0 }
    }

    /// The network on one batch (or tile) of images: the moments `[N, 2·latent_channels, h, w]`.
    func run(_ image: Tensor) throws(TensorError) -> Tensor {
        var hidden = try convIn(image)
        for block in downBlocks { hidden = try block(hidden) }
        hidden = try midBlock(hidden)
        hidden = try convOut(normOut(hidden, activation: .silu))
        return try quantConv?(hidden) ?? hidden
    }
}
