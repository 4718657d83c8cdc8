import TensorModule

/// Everything a denoiser is conditioned on for one evaluation, besides the noisy latents and the
/// timestep: the one input value the pipeline builds (per model family and per task) and a
/// ``NoisePredictor`` reads.
///
/// diffusers passes these as separate keyword arguments of `UNet2DConditionModel.forward`
/// (`encoder_hidden_states`, `added_cond_kwargs={"text_embeds", "time_ids"}`,
/// `down_block_additional_residuals` / `mid_block_additional_residual`) and widens the latents
/// itself for inpainting (`torch.cat([latents, mask, masked_image_latents], dim=1)`); here they travel
/// together, so a feature adds a field instead of a parameter to every denoiser and pipeline:
///
/// | field | SD 1.x/2.x | SDXL | inpainting | ControlNet |
/// |---|---|---|---|---|
/// | ``context`` | CLIP hidden states | both encoders, concatenated | as the family | as the family |
/// | ``pooledTextEmbedding`` | – | encoder 2's pooled projection | | |
/// | ``timeIDs`` | – | size / crop / target (or aesthetic score) | | |
/// | ``extraInputChannels`` | | | mask + masked-image latents | |
/// | ``controlResiduals`` | | | | per-step residuals |
///
/// Every tensor's first axis is the batch; row `b` conditions latent `b`.
public struct DenoiserConditioning: Sendable {
    /// The token context cross-attention reads, `[B, tokens, crossAttentionDim]` (diffusers'
    /// `encoder_hidden_states`).
    public var context: Tensor
    /// SDXL's pooled text embedding `[B, width]` (diffusers' `added_cond_kwargs["text_embeds"]`).
    public var pooledTextEmbedding: Tensor?
    /// SDXL's micro-conditioning `[B, n]` (diffusers' `added_cond_kwargs["time_ids"]`).
    public var timeIDs: Tensor?
    /// Channels concatenated after the latents on the channel axis, `[B, extra, H, W]`, so that the
    /// model sees `in_channels` = latent channels + extra (inpainting models: the downsampled mask,
    /// then the masked image's latents).
    public var extraInputChannels: Tensor?
    /// Residuals added to the skip connections and to the mid block's output (ControlNet).
    public var controlResiduals: ControlResiduals?

    /// A conditioning value; only `context` is required.
    ///
    /// - Parameters:
    ///   - context: `[B, tokens, width]` token context.
    ///   - pooledTextEmbedding: `[B, width]`, for models with a text-time addition embedding.
    ///   - timeIDs: `[B, n]`, for models with a text-time addition embedding.
    ///   - extraInputChannels: `[B, extra, H, W]`, concatenated after the latents.
    ///   - controlResiduals: Residuals for the skips and the mid block.
    public init(context: Tensor, pooledTextEmbedding: Tensor? = nil, timeIDs: Tensor? = nil,
                extraInputChannels: Tensor? = nil, controlResiduals: ControlResiduals? = nil) {
        self.context = context
        self.pooledTextEmbedding = pooledTextEmbedding
        self.timeIDs = timeIDs
        self.extraInputChannels = extraInputChannels
        self.controlResiduals = controlResiduals
    }

    /// Rows in the batch (the context's first axis).
    public var batchSize: Int { context.shape.first ?? 0 }

    /// Tokens in the context (its second axis); two conditionings can share one batch only when these agree.
    public var tokenCount: Int { context.rank == 3 ? context.shape[1] : 0 }

    /// Joins conditionings along the batch axis, field by field (diffusers'
    /// `torch.cat([negative, positive])` for classifier-free guidance).
    ///
    /// - Parameter parts: At least one conditioning; each optional field must be present in all parts
    ///   or in none, with equal trailing shapes.
    /// - Returns: One conditioning whose batch is the parts' batches in order.
    /// - Throws: ``UNetError/invalidInput(parameter:details:)`` naming the field that does not fit.
    public static func concatenated(_ parts: [DenoiserConditioning]) throws(UNetError) -> DenoiserConditioning {
        guard let first = parts.first else {
            throw .invalidInput(parameter: "conditioning", details: "nothing to concatenate")
        }
        if parts.count == 1 { return first }
        func join(_ field: String, _ tensors: [Tensor?]) throws(UNetError) -> Tensor? {
            let present = tensors.compactMap { $0 }
            if present.isEmpty { return nil }
            guard present.count == tensors.count else {
                throw .invalidInput(parameter: field, details: "given for \(present.count) of \(tensors.count) conditionings being batched")
            }
            do { return try Tensor.concatenate(present, axis: 0) } catch {
                throw .invalidInput(parameter: field, details: "cannot batch shapes \(present.map(\.shape)): \(error)")
            }
        }
        guard let context = try join("context", parts.map(\.context)) else {
            throw .invalidInput(parameter: "context", details: "missing")
        }
        var residuals: ControlResiduals?
        let givenResiduals = parts.compactMap(\.controlResiduals)
        if !givenResiduals.isEmpty {
            guard givenResiduals.count == parts.count,
                  Set(givenResiduals.map(\.down.count)).count == 1 else {
                throw .invalidInput(parameter: "controlResiduals", details: "given for only some of the conditionings being batched, or with different counts")
            }
            var down: [Tensor] = []
            for index in givenResiduals[0].down.indices {
                down.append(try join("controlResiduals.down[\(index)]", givenResiduals.map { $0.down[index] })!)
            }
            residuals = ControlResiduals(down: down, mid: try join("controlResiduals.mid", givenResiduals.map(\.mid))!)
        }
        return DenoiserConditioning(
            context: context,
            pooledTextEmbedding: try join("pooledTextEmbedding", parts.map(\.pooledTextEmbedding)),
            timeIDs: try join("timeIDs", parts.map(\.timeIDs)),
            extraInputChannels: try join("extraInputChannels", parts.map(\.extraInputChannels)),
            controlResiduals: residuals)
    }

    /// The conditioning with each row repeated `count` times in place (`[a, b]` → `[a, a, b, b]`),
    /// as diffusers' `num_images_per_prompt` repetition lays rows out.
    ///
    /// - Parameter count: Repetitions, at least 1.
    /// - Throws: ``UNetError/invalidInput(parameter:details:)`` if `count` < 1.
    public func repeatingRows(_ count: Int) throws(UNetError) -> DenoiserConditioning {
        guard count >= 1 else { throw .invalidInput(parameter: "count", details: "\(count); expected at least 1") }
        if count == 1 { return self }
        func repeated(_ tensor: Tensor?) throws(UNetError) -> Tensor? {
            guard let tensor else { return nil }
            do {
                let rows = try tensor.chunked(tensor.shape[0], axis: 0)
                return try Tensor.concatenate(rows.flatMap { Array(repeating: $0, count: count) }, axis: 0)
            } catch {
                throw .invalidInput(parameter: "conditioning", details: "cannot repeat shape \(tensor.shape): \(error)")
            }
        }
        return DenoiserConditioning(
            context: try repeated(context)!, pooledTextEmbedding: try repeated(pooledTextEmbedding),
            timeIDs: try repeated(timeIDs), extraInputChannels: try repeated(extraInputChannels),
            controlResiduals: try controlResiduals.map { (residuals) throws(UNetError) in
                ControlResiduals(down: try residuals.down.map { (tensor) throws(UNetError) in try repeated(tensor)! },
                                 mid: try repeated(residuals.mid)!)
            })
    }
}

/// Residuals a ControlNet (or several, summed) adds to a UNet: diffusers'
/// `down_block_additional_residuals` (one per skip connection, in the order the down path produces
/// them: `conv_in`'s output, then every resnet/attention output and every downsample) and
/// `mid_block_additional_residual`.
public struct ControlResiduals: Sendable {
    /// One residual per skip connection, `[B, C_i, H_i, W_i]`, finest first.
    public var down: [Tensor]
    /// Added to the mid block's output, `[B, C, H, W]`.
    public var mid: Tensor

    /// Residuals for the skips and the mid block.
    public init(down: [Tensor], mid: Tensor) {
        self.down = down
        self.mid = mid
    }
}
