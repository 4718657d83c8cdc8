import Foundation
import Layers

/// The decoding half of diffusers' `AutoencoderKL`: `post_quant_conv` and `Decoder`
/// (`models/autoencoders/vae.py`) — conv_in, mid block (resnet, single-head attention over all
/// positions, resnet), one `UpDecoderBlock2D` per level from the deepest (`layers_per_block + 1`
/// resnets, then nearest 2× upsampling and a convolution, except at the last level), group norm,
/// SiLU, conv_out.
///
/// Checkpoint keys: `post_quant_conv.*` and `decoder.*`. Not supported: diffusers' spatial norm
/// (`norm_type="spatial"`, MoVQ), which SD does not use.
public struct VAEDecoder: LatentDecoding {
    /// The model's configuration.
    public let configuration: AutoencoderKLConfiguration
    /// Tiled decoding for large latents; nil (the default) never tiles, like diffusers before
    /// `enable_tiling()`. ``VAETiling/default(for:)`` gives diffusers' tiles.
    public var tiling: VAETiling?

    let postQuantConv: Conv2D?
    let convIn: Conv2D
    let midBlock: VAEMidBlock
    let upBlocks: [UpDecoderBlock2D]
    let normOut: GroupNorm
    let convOut: Conv2D

    /// Builds the decoder from weights under diffusers' names.
    ///
    /// - Parameters:
    ///   - configuration: The model's configuration (validated here).
    ///   - weights: Reader at the root of the VAE checkpoint (it reads `post_quant_conv` and `decoder`).
    ///   - tiling: Initial tiling option.
    /// - Throws: ``VAEError/invalidConfiguration(key:value:reason:)``, or ``VAEError/tensor(_:)`` for a
    ///   missing or misshapen weight.
    public init(configuration: AutoencoderKLConfiguration, weights: WeightReader, tiling: VAETiling? = nil) throws(VAEError) {
        try configuration.validate()
        self.configuration = configuration
        self.tiling = tiling
        let config = configuration
        let latent = config.latentChannels, groups = config.normGroups
        let channels = Array(config.blockOutChannels.reversed())
        let decoder = weights.scoped("decoder")
        postQuantConv = try wrappingTensorErrors { () throws(TensorError) in
            config.usePostQuantConv
                ? try Conv2D(weights: weights.scoped("post_quant_conv"), inChannels: latent, outChannels: latent, kernelSize: 1)
                : nil
        }
        convIn = try wrappingTensorErrors { () throws(TensorError) in
            try Conv2D(weights: decoder.scoped("conv_in"), inChannels: latent, outChannels: channels[0],
                       kernelSize: 3, padding: .uniform(1))
        }
        midBlock = try wrappingTensorErrors { () throws(TensorError) in
            try VAEMidBlock(weights: decoder.scoped("mid_block"), channels: channels[0], groups: groups,
                            addAttention: config.midBlockAddAttention)
        }
        var blocks: [UpDecoderBlock2D] = []
        for (index, outChannels) in channels.enumerated() {
            let inChannels = index == 0 ? channels[0] : channels[index - 1]
            blocks.append(try wrappingTensorErrors { () throws(TensorError) in
                try UpDecoderBlock2D(weights: decoder.scoped("up_blocks", index), inChannels: inChannels,
                                     outChannels: outChannels, layers: config.layersPerBlock + 1, groups: groups,
                                     addUpsample: index < channels.count - 1)
            })
        }
        upBlocks = blocks
        let finest = config.blockOutChannels[0]
        normOut = try wrappingTensorErrors { () throws(TensorError) in
            try GroupNorm(weights: decoder.scoped("conv_norm_out"), groups: groups, channels: finest, epsilon: 1e-6)
        }
        convOut = try wrappingTensorErrors { () throws(TensorError) in
            try Conv2D(weights: decoder.scoped("conv_out"), inChannels: finest, outChannels: config.outChannels,
                       kernelSize: 3, padding: .uniform(1))
        }
    }

    /// Loads the decoder from a VAE folder (`config.json` and the weights file), strictly: every
    /// decoder tensor must be present with its shape, and every tensor in the file must belong to the
    /// decoder or to the encoder (`encoder.*`, `quant_conv.*`, which are skipped unread).
    ///
    /// - Parameters:
    ///   - directory: The `vae` folder of a Stable Diffusion model.
    ///   - variant: nil for `diffusion_pytorch_model.safetensors` (falling back to the `.fp16` file if it
    ///     is the only one), or a variant name such as `"fp16"` for `diffusion_pytorch_model.fp16.safetensors`.
    ///   - tiling: Initial tiling option.
    /// - Throws: ``VAEError`` for a missing or invalid configuration, missing weights file, or
    ///   missing, misshapen or unexpected tensors.
    public init(directory: URL, variant: String? = nil, tiling: VAETiling? = nil) throws(VAEError) {
        let folder = try VAEModelFolder(directory: directory, variant: variant)
        try self.init(configuration: folder.configuration, weights: folder.loader.reader(), tiling: tiling)
        try folder.finish(ignoringPrefixes: VAEEncoder.checkpointPrefixes)
    }

    /// Key prefixes this half of the checkpoint owns.
    static let checkpointPrefixes = ["decoder.", "post_quant_conv."]

    /// Channels of the latents (`latent_channels`).
    public var latentChannels: Int { configuration.latentChannels }
    /// 2^(levels − 1): 8 for SD.
    public var downsamplingFactor: Int { configuration.downsamplingFactor }

    /// Decodes latents in the diffusion model's scale (as the UNet produces them): divides them by
    /// `scaling_factor`, then decodes, as diffusers' pipelines call `vae.decode(latents / scaling_factor)`.
    /// Tiles if ``tiling`` is set and the latents are larger than one tile.
    ///
    /// - Parameter latents: `[N, latent_channels, h, w]`.
    /// - Returns: `[N, out_channels, h · 8, w · 8]` (for SD), nominally in [-1, 1], not clamped.
    /// - Throws: ``VAEError/invalidInput(parameter:shape:expected:)`` for a wrong shape,
    ///   ``VAEError/invalidTiling(parameter:value:reason:)``, or ``VAEError/tensor(_:)``.
    public func decode(latents: Tensor) throws(VAEError) -> Tensor {
        try validate(latents, parameter: "latents")
        let factor = Float(configuration.scalingFactor)
        return try decode(unscaledLatents: latents.map { $0 / factor })
    }

    /// Decodes latents in the VAE's own scale (diffusers' `vae.decode(z).sample`): no division by
    /// `scaling_factor`.
    ///
    /// Runs in ``ComputeMemory/withoutGrowingCache(_:)``: the decoder's activations are few, large and
    /// of a new size at every level, so buffers the pool kept would only sit beside them and raise the
    /// peak (a 512² decode: 1448 MiB with them, 1139–1218 MiB without).
    ///
    /// - Parameter unscaledLatents: `[N, latent_channels, h, w]`.
    /// - Returns: `[N, out_channels, h · 8, w · 8]` (for SD), not clamped.
    /// - Throws: As ``decode(latents:)``.
    public func decode(unscaledLatents: Tensor) throws(VAEError) -> Tensor {
        try validate(unscaledLatents, parameter: "unscaledLatents")
        return try ComputeMemory.withoutGrowingCache { () throws(VAEError) in try decodeValidated(unscaledLatents) }
    }

    /// ``decode(unscaledLatents:)`` after validation: whole, or tile by tile.
    private func decodeValidated(_ unscaledLatents: Tensor) throws(VAEError) -> Tensor {
        if let tiling {
            let plan = try TilePlan.decoding(tiling, downsamplingFactor: downsamplingFactor)
            if unscaledLatents.shape[2] > plan.inputTile || unscaledLatents.shape[3] > plan.inputTile {
                return try TiledProcessing.run(unscaledLatents, plan: plan) { (tile) throws(VAEError) in
                    try wrappingTensorErrors { () throws(TensorError) in try run(tile) }
                }
            }
        }
        return try wrappingTensorErrors { () throws(TensorError) in try run(unscaledLatents) }
    }

    /// The network on one batch (or tile) of unscaled latents.
    func run(_ latents: Tensor) throws(TensorError) -> Tensor {
        var hidden = try postQuantConv?(latents) ?? latents
        hidden = try convIn(hidden)
        // Each block is handed the activations, so the largest levels can reuse their memory.
        hidden = try midBlock(consume hidden)
        for block in upBlocks { hidden = try block(consume hidden) }
        return try convOut(normOut.normalizing(consume hidden, activation: .silu))
    }

    private func validate(_ latents: Tensor, parameter: String) throws(VAEError) {
        guard latents.rank == 4, latents.shape[0] >= 1, latents.shape[1] == latentChannels,
              latents.shape[2] >= 1, latents.shape[3] >= 1 else {
            throw .invalidInput(parameter: parameter, shape: latents.shape, expected: "[N, \(latentChannels), h, w] with N, h, w ≥ 1")
        }
    }
}
