import Layers

/// diffusers' `UNet2DConditionModel` (`models/unets/unet_2d_condition.py`) as Stable Diffusion 1.x
/// and 2.x use it: the denoiser that predicts noise (or v) from noisy latents, a timestep and text
/// embeddings.
///
/// `conv_in` → down blocks (keeping skip connections) → mid block → up blocks (consuming them) →
/// group norm + SiLU → `conv_out`, with the sinusoidal timestep embedding's MLP feeding every resnet
/// and the text embeddings feeding every cross-attention. Latents of any side work, including sides
/// that are not multiples of 8: each upsample targets its skip connection's size, as in diffusers.
///
/// Attention holds at most one head's block of query rows against all keys at a time (see
/// `Tensor.attention`), so at 512×512 (4096 tokens at the first level) no set of per-head
/// 4096×4096 score matrices is ever materialised. Everything is computed in float32; float16
/// checkpoints are widened at load.
///
/// SDXL's `text_time` additional embedding (``UNetConfiguration/additionEmbedType``) is added to the time
/// embedding from the conditioning's pooled text embedding and time ids (see `TextTimeEmbedding`).
///
/// Not supported (rejected when decoding the configuration): class embeddings and additional embeddings
/// other than `text_time`,
/// timestep conditioning, dual or cross-only attention, block types other than those SD 1.x/2.x
/// use, attention masks, T2I-adapter residuals, FreeU. ControlNet residuals and inpainting's extra
/// input channels arrive in the ``DenoiserConditioning``.
public struct UNet2DConditionModel: NoisePredictor {
    /// The architecture.
    public let configuration: UNetConfiguration
    let timeEmbedding: TimestepEmbedding
    /// SDXL's `add_embedding` (`addition_embed_type="text_time"`), nil otherwise.
    let additionEmbedding: TextTimeEmbedding?
    let convIn: Conv2D
    let downBlocks: [DownBlock]
    let midBlock: MidBlock
    let upBlocks: [UpBlock]
    let normOut: GroupNorm
    let convOut: Conv2D

    /// Builds the model from weights under diffusers' names (`conv_in.weight`,
    /// `down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.weight`, …), read through `weights`.
    ///
    /// Does not check for unused tensors (the reader may be part of a larger checkpoint); call the
    /// loader's `finish()` afterwards, or use ``init(configuration:source:)``.
    ///
    /// - Parameters:
    ///   - configuration: The architecture; validated first.
    ///   - weights: A reader at the UNet's root (or at its prefix inside a larger checkpoint).
    /// - Throws: ``UNetError/invalidConfiguration(key:value:expected:)`` for an invalid configuration,
    ///   ``UNetError/weights(_:)`` for a missing or misshapen tensor.
    public init(configuration: UNetConfiguration, weights: WeightReader) throws(UNetError) {
        try configuration.validate()
        self.configuration = configuration
        let c = configuration
        do {
            timeEmbedding = try TimestepEmbedding(weights: weights.scoped("time_embedding"), channels: c.blockOutChannels[0],
                                                  embeddingChannels: c.timeEmbeddingChannels,
                                                  flipSinToCos: c.flipSinToCos, freqShift: c.freqShift)
            additionEmbedding = try c.additionEmbedType.map { (_) throws(TensorError) in
                // Validation guarantees both widths for `text_time`.
                try TextTimeEmbedding(weights: weights.scoped("add_embedding"),
                                      inputWidth: c.projectionClassEmbeddingsInputDim ?? 0,
                                      timeWidth: c.additionTimeEmbedDim ?? 0,
                                      embeddingChannels: c.timeEmbeddingChannels,
                                      flipSinToCos: c.flipSinToCos, freqShift: c.freqShift)
            }
            convIn = try Conv2D(weights: weights.scoped("conv_in"), inChannels: c.inChannels, outChannels: c.blockOutChannels[0],
                                kernelSize: c.convInKernel, padding: .uniform((c.convInKernel - 1) / 2))
            downBlocks = try (0..<c.levels).map { (level) throws(TensorError) in
                try DownBlock(weights: weights.scoped("down_blocks", level), level: level, configuration: c)
            }
            midBlock = try MidBlock(weights: weights.scoped("mid_block"), configuration: c)
            upBlocks = try (0..<c.levels).map { (level) throws(TensorError) in
                try UpBlock(weights: weights.scoped("up_blocks", level), level: level, configuration: c)
            }
            normOut = try GroupNorm(weights: weights.scoped("conv_norm_out"), groups: c.normNumGroups,
                                    channels: c.blockOutChannels[0], epsilon: c.normEpsilon)
            convOut = try Conv2D(weights: weights.scoped("conv_out"), inChannels: c.blockOutChannels[0], outChannels: c.outChannels,
                                 kernelSize: c.convOutKernel, padding: .uniform((c.convOutKernel - 1) / 2))
        } catch {
            throw .weights(error)
        }
    }

    /// Builds the model from a weight source, strictly: every tensor must exist with the expected
    /// shape and the source must hold no tensor the model does not use.
    ///
    /// - Parameters:
    ///   - configuration: The architecture; validated first.
    ///   - source: Safetensors files, a dictionary, or `RandomWeightSource` for benchmarks.
    /// - Throws: ``UNetError/invalidConfiguration(key:value:expected:)`` or ``UNetError/weights(_:)``
    ///   (missing, misshapen or unused tensors).
    public init(configuration: UNetConfiguration, source: any WeightSource) throws(UNetError) {
        let loader = WeightLoader(source: source)
        try self.init(configuration: configuration, weights: loader.reader())
        do { try loader.finish() } catch { throw .weights(error) }
    }

    /// Predicts the model output for a batch of latents (``NoisePredictor`` conformance).
    ///
    /// - Parameters:
    ///   - latents: `[B, C, H, W]`, any H and W ≥ 1, where C plus the conditioning's extra input
    ///     channels is the configuration's `in_channels`.
    ///   - timestep: The scheduler's timestep (fractional allowed), rounded to float32 as diffusers does.
    ///   - conditioning: The context `[B, tokens, crossAttentionDim]`; for a `text_time` (SDXL) model the
    ///     pooled text embedding `[B, P]` and time ids `[B, n]` with `P + n · addition_time_embed_dim` =
    ///     `projection_class_embeddings_input_dim` (required there, refused elsewhere); extra input channels
    ///     `[B, extra, H, W]` (concatenated after the latents, as diffusers' inpainting pipeline does
    ///     before calling the UNet); control residuals (added to the skip connections and the mid
    ///     block's output, as diffusers' `down_block_additional_residuals` /
    ///     `mid_block_additional_residual`).
    /// - Returns: `[B, outChannels, H, W]`.
    /// - Throws: ``UNetError/invalidInput(parameter:details:)`` when a shape or the timestep does not
    ///   fit, the conditioning carries a field this model has no use for (a pooled embedding or
    ///   time ids for a model without an addition embedding), or lacks one it needs.
    public func predictNoise(latents: Tensor, timestep: Double, conditioning: DenoiserConditioning) throws(UNetError) -> Tensor {
        let input = try checkInputs(latents: latents, timestep: timestep, conditioning: conditioning)
        let context = conditioning.context
        let embedding: Tensor
        var sample: Tensor
        var skips: [Tensor]
        do {
            sample = configuration.centerInputSample ? input.map { 2 * $0 - 1 } : input
            var timeRows = try timeEmbedding(timestep: timestep, batch: latents.shape[0])
            if let additionEmbedding, let pooled = conditioning.pooledTextEmbedding, let ids = conditioning.timeIDs {
                timeRows = try timeRows.adding(additionEmbedding(pooled: pooled, timeIDs: ids))
            }
            embedding = timeRows
            sample = try convIn(sample)
            skips = [sample]
            for block in downBlocks {
                sample = try block(sample, timeEmbedding: embedding, context: context, skips: &skips)
            }
            sample = try midBlock(sample, timeEmbedding: embedding, context: context)
        } catch {
            throw .computation(error)
        }
        if let residuals = conditioning.controlResiduals {
            for index in skips.indices {
                skips[index] = try Self.adding(residuals.down[index], to: skips[index], name: "controlResiduals.down[\(index)]")
            }
            sample = try Self.adding(residuals.mid, to: sample, name: "controlResiduals.mid")
        }
        do {
            for block in upBlocks {
                sample = try block(sample, timeEmbedding: embedding, context: context, skips: &skips)
            }
            return try convOut(normOut(sample, activation: .silu))
        } catch {
            throw .computation(error)
        }
    }

    /// `base + residual`, when the residual has exactly the feature map's shape (its spatial size
    /// follows from the latents', so it can only be checked here).
    private static func adding(_ residual: Tensor, to base: Tensor, name: String) throws(UNetError) -> Tensor {
        guard residual.shape == base.shape else {
            throw .invalidInput(parameter: name, details: "shape \(residual.shape); expected \(base.shape)")
        }
        return base + residual
    }

    /// Predicts from text embeddings alone: ``predictNoise(latents:timestep:conditioning:)`` with a
    /// context-only conditioning, keeping the typed error.
    ///
    /// - Parameters:
    ///   - latents: `[B, inChannels, H, W]`.
    ///   - timestep: The scheduler's timestep.
    ///   - textEmbeddings: `[B, tokens, crossAttentionDim]`.
    /// - Returns: `[B, outChannels, H, W]`.
    /// - Throws: ``UNetError/invalidInput(parameter:details:)`` when a shape or the timestep does not fit.
    public func predictNoise(latents: Tensor, timestep: Double, textEmbeddings: Tensor) throws(UNetError) -> Tensor {
        try predictNoise(latents: latents, timestep: timestep, conditioning: DenoiserConditioning(context: textEmbeddings))
    }

    /// SDXL's extras must be given exactly when the model has `text_time`, with widths that fill
    /// `add_embedding`'s input.
    private func checkAdditionalInputs(batch: Int, pooled: Tensor?, timeIDs: Tensor?) throws(UNetError) {
        guard let additionEmbedding else {
            if pooled != nil || timeIDs != nil {
                throw .invalidInput(parameter: "pooledTextEmbedding/timeIDs",
                                    details: "given, but this UNet has no text-time addition embedding (addition_embed_type)")
            }
            return
        }
        guard let pooled, pooled.rank == 2, pooled.shape[0] == batch,
              let count = additionEmbedding.timeIDCount(pooledWidth: pooled.shape[1]), count > 0 else {
            throw .invalidInput(parameter: "pooledTextEmbedding",
                                details: "\(pooled.map { "shape \($0.shape)" } ?? "missing"); this UNet (addition_embed_type \"text_time\") needs [\(batch) (the latents' batch), width] with width + \(additionEmbedding.timeWidth) · (number of time ids) = \(additionEmbedding.inputWidth) (projection_class_embeddings_input_dim)")
        }
        guard let timeIDs, timeIDs.shape == [batch, count] else {
            throw .invalidInput(parameter: "timeIDs",
                                details: "\(timeIDs.map { "shape \($0.shape)" } ?? "missing"); expected [\(batch), \(count)] for a \(pooled.shape[1])-wide pooled embedding (projection_class_embeddings_input_dim \(additionEmbedding.inputWidth), addition_time_embed_dim \(additionEmbedding.timeWidth))")
        }
        guard timeIDs.scalars.allSatisfy(\.isFinite) else {
            throw .invalidInput(parameter: "timeIDs", details: "contains a value that is not a finite number")
        }
    }

    /// Checks every input against the configuration and returns the model input (the latents with
    /// any extra channels appended).
    private func checkInputs(latents: Tensor, timestep: Double, conditioning: DenoiserConditioning) throws(UNetError) -> Tensor {
        let c = configuration
        let extra = conditioning.extraInputChannels
        let extraChannels = extra.map { $0.rank == 4 ? $0.shape[1] : 0 } ?? 0
        guard latents.rank == 4, latents.shape[0] >= 1, latents.shape[1] + extraChannels == c.inChannels,
              latents.shape[2] >= 1, latents.shape[3] >= 1 else {
            throw .invalidInput(parameter: "latents", details: "shape \(latents.shape) with \(extraChannels) extra input channels; expected [batch ≥ 1, \(c.inChannels - extraChannels), height ≥ 1, width ≥ 1] (in_channels \(c.inChannels))")
        }
        let batch = latents.shape[0]
        let textEmbeddings = conditioning.context
        guard textEmbeddings.rank == 3, textEmbeddings.shape[0] == batch, textEmbeddings.shape[1] >= 1,
              textEmbeddings.shape[2] == c.crossAttentionDim else {
            throw .invalidInput(parameter: "textEmbeddings",
                                details: "shape \(textEmbeddings.shape); expected [\(batch) (the latents' batch), tokens ≥ 1, \(c.crossAttentionDim) (cross_attention_dim)]")
        }
        guard timestep.isFinite else {
            throw .invalidInput(parameter: "timestep", details: "\(timestep) is not a finite number")
        }
        try checkAdditionalInputs(batch: batch, pooled: conditioning.pooledTextEmbedding, timeIDs: conditioning.timeIDs)
        if let residuals = conditioning.controlResiduals {
            let expected = 1 + c.layersPerBlock.reduce(0, +) + (c.levels - 1)
            guard residuals.down.count == expected else {
                throw .invalidInput(parameter: "controlResiduals.down", details: "\(residuals.down.count) tensors; expected \(expected) (one per skip connection)")
            }
        }
        guard let extra else { return latents }
        guard extra.rank == 4, extra.shape[0] == batch, extra.shape[2] == latents.shape[2], extra.shape[3] == latents.shape[3] else {
            throw .invalidInput(parameter: "extraInputChannels", details: "shape \(extra.shape); expected [\(batch), channels, \(latents.shape[2]), \(latents.shape[3])] (the latents' batch and size)")
        }
        do { return try Tensor.concatenate([latents, extra], axis: 1) } catch { throw .computation(error) }
    }
}
