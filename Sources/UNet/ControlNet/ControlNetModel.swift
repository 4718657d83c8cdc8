import Layers

/// diffusers' `ControlNetModel` (`models/controlnets/controlnet.py`) for SD 1.x/2.x: the UNet's encoder
/// half (time embedding, `conv_in`, down blocks, mid block — the UNet's own block types, not copies)
/// plus the control image's conditioning embedding, added to `conv_in`'s output, and one 1×1 "zero
/// convolution" per skip connection (`controlnet_down_blocks.N`) and for the mid block
/// (`controlnet_mid_block`). Its output, scaled by the conditioning scale, is the
/// ``ControlResiduals`` a ``UNet2DConditionModel`` adds to its skips and mid block.
///
/// Weights stay as stored (fp16 checkpoints are widened per layer while it runs, as the UNet's).
///
/// Not supported: guess mode and `global_pool_conditions` (rejected with the configuration), class
/// and addition embeddings (SDXL ControlNets), attention masks.
public struct ControlNetModel: Sendable {
    /// The architecture.
    public let configuration: ControlNetConfiguration
    let timeEmbedding: TimestepEmbedding
    let convIn: Conv2D
    let conditioningEmbedding: ControlNetConditioningEmbedding
    let downBlocks: [DownBlock]
    let midBlock: MidBlock
    let zeroConvolutions: [Conv2D]
    let midZeroConvolution: Conv2D

    /// Builds the model from weights under diffusers' names (`conv_in.weight`,
    /// `controlnet_cond_embedding.blocks.0.weight`, `controlnet_down_blocks.3.weight`, …), read
    /// through `weights`. Does not check for unused tensors; use ``init(configuration:source:)`` for
    /// strict loading.
    ///
    /// - Parameters:
    ///   - configuration: The architecture; validated first.
    ///   - weights: A reader at the ControlNet's root.
    /// - Throws: ``UNetError/invalidConfiguration(key:value:expected:)`` or ``UNetError/weights(_:)``
    ///   for a missing or misshapen tensor.
    public init(configuration: ControlNetConfiguration, weights: WeightReader) throws(UNetError) {
        try configuration.validate()
        self.configuration = configuration
        let c = configuration.unet
        do {
            timeEmbedding = try TimestepEmbedding(weights: weights.scoped("time_embedding"), channels: c.blockOutChannels[0],
                                                  embeddingChannels: c.timeEmbeddingChannels,
                                                  flipSinToCos: c.flipSinToCos, freqShift: c.freqShift)
            convIn = try Conv2D(weights: weights.scoped("conv_in"), inChannels: c.inChannels, outChannels: c.blockOutChannels[0],
                                kernelSize: c.convInKernel, padding: .uniform((c.convInKernel - 1) / 2))
            conditioningEmbedding = try ControlNetConditioningEmbedding(weights: weights.scoped("controlnet_cond_embedding"),
                                                                        configuration: configuration)
            downBlocks = try (0..<c.levels).map { (level) throws(TensorError) in
                try DownBlock(weights: weights.scoped("down_blocks", level), level: level, configuration: c)
            }
            midBlock = try MidBlock(weights: weights.scoped("mid_block"), configuration: c)
            // One zero convolution per skip, at that skip's width: conv_in's, each level's resnets',
            // and each downsample's.
            var widths = [c.blockOutChannels[0]]
            for level in 0..<c.levels {
                widths += Array(repeating: c.blockOutChannels[level], count: c.layersPerBlock[level] + (level == c.levels - 1 ? 0 : 1))
            }
            zeroConvolutions = try widths.enumerated().map { (index, width) throws(TensorError) in
                try Conv2D(weights: weights.scoped("controlnet_down_blocks", index), inChannels: width, outChannels: width, kernelSize: 1)
            }
            let midWidth = c.blockOutChannels[c.levels - 1]
            midZeroConvolution = try Conv2D(weights: weights.scoped("controlnet_mid_block"), inChannels: midWidth,
                                            outChannels: midWidth, kernelSize: 1)
        } catch {
            throw .weights(error)
        }
    }

    /// Builds the model from a weight source, strictly: every tensor must exist with the expected
    /// shape and the source must hold no tensor the model does not use.
    ///
    /// - Parameters:
    ///   - configuration: The architecture; validated first.
    ///   - source: Safetensors files, a single-file checkpoint's ControlNet, or a dictionary.
    /// - Throws: ``UNetError/invalidConfiguration(key:value:expected:)`` or ``UNetError/weights(_:)``
    ///   (missing, misshapen or unused tensors).
    public init(configuration: ControlNetConfiguration, source: any WeightSource) throws(UNetError) {
        let loader = WeightLoader(source: source)
        try self.init(configuration: configuration, weights: loader.reader())
        do { try loader.finish() } catch { throw .weights(error) }
    }

    /// The residuals for one denoiser evaluation (diffusers' `ControlNetModel.forward` with
    /// `guess_mode=False`): `conv_in(latents) + embedding(image)`, the down and mid blocks on the
    /// timestep and context, then the zero convolutions, each output multiplied by `scale`.
    ///
    /// - Parameters:
    ///   - latents: `[B, in_channels, h, w]`, the scheduler-scaled latents the UNet also receives.
    ///   - timestep: The UNet's timestep.
    ///   - context: `[B, tokens, cross_attention_dim]`, the UNet's context.
    ///   - controlImage: `[B, conditioning_channels, h·f, w·f]` in 0…1, f = ``ControlNetConfiguration/imageScaleFactor``.
    ///   - scale: The conditioning scale.
    /// - Returns: ``ControlNetConfiguration/residualCount`` down residuals (finest first) and the mid residual.
    /// - Throws: ``UNetError/invalidInput(parameter:details:)`` when a shape or the timestep does not fit.
    public func residuals(latents: Tensor, timestep: Double, context: Tensor, controlImage: Tensor,
                          scale: Float) throws(UNetError) -> ControlResiduals {
        try checkInputs(latents: latents, timestep: timestep, context: context, controlImage: controlImage)
        do {
            var image = controlImage
            if configuration.channelOrder == .bgr {
                image = try Tensor.concatenate(image.chunked(image.shape[1], axis: 1).reversed(), axis: 1)
            }
            let embedding = try timeEmbedding(timestep: timestep, batch: latents.shape[0])
            var sample = try convIn(latents) + conditioningEmbedding(image)
            var skips = [sample]
            for block in downBlocks {
                sample = try block(sample, timeEmbedding: embedding, context: context, skips: &skips)
            }
            sample = try midBlock(sample, timeEmbedding: embedding, context: context)
            let down = try zip(skips, zeroConvolutions).map { (skip, convolution) throws(TensorError) in try convolution(skip) * scale }
            return ControlResiduals(down: down, mid: try midZeroConvolution(sample) * scale)
        } catch {
            throw .computation(error)
        }
    }

    private func checkInputs(latents: Tensor, timestep: Double, context: Tensor, controlImage: Tensor) throws(UNetError) {
        let c = configuration.unet
        guard latents.rank == 4, latents.shape[0] >= 1, latents.shape[1] == c.inChannels, latents.shape[2] >= 1, latents.shape[3] >= 1 else {
            throw .invalidInput(parameter: "latents", details: "shape \(latents.shape); expected [batch ≥ 1, \(c.inChannels), height ≥ 1, width ≥ 1] (the ControlNet's in_channels)")
        }
        let batch = latents.shape[0]
        guard context.rank == 3, context.shape[0] == batch, context.shape[1] >= 1, context.shape[2] == c.crossAttentionDim else {
            throw .invalidInput(parameter: "context", details: "shape \(context.shape); expected [\(batch), tokens ≥ 1, \(c.crossAttentionDim) (the ControlNet's cross_attention_dim)]")
        }
        guard timestep.isFinite else { throw .invalidInput(parameter: "timestep", details: "\(timestep) is not a finite number") }
        // Each stride-2 step maps a side s to ⌈s/2⌉; the embedding must land on the latents' size.
        var height = controlImage.rank == 4 ? controlImage.shape[2] : 0, width = controlImage.rank == 4 ? controlImage.shape[3] : 0
        for _ in 1..<max(1, configuration.conditioningEmbeddingChannels.count) { height = (height + 1) / 2; width = (width + 1) / 2 }
        let factor = configuration.imageScaleFactor
        guard controlImage.rank == 4, controlImage.shape[0] == batch, controlImage.shape[1] == configuration.conditioningChannels,
              height == latents.shape[2], width == latents.shape[3] else {
            throw .invalidInput(parameter: "controlImage", details: "shape \(controlImage.shape); expected [\(batch), \(configuration.conditioningChannels), \(latents.shape[2] * factor), \(latents.shape[3] * factor)] (\(factor)× the latents' size)")
        }
    }
}
