import TensorModule

/// Something that predicts the model output a scheduler steps with (the noise ε, or v / x₀ depending
/// on the model's training) from noisy latents, a timestep and a conditioning value: the denoising
/// component of a diffusion pipeline.
///
/// The pipeline calls it once per step (twice when the guided halves cannot share a batch) with the
/// classifier-free-guidance batch already laid out (`[unconditional, conditional]` latents paired
/// with `[negative, positive]` conditioning rows), so a conformer sees batch-aligned inputs and
/// returns one prediction per batch entry. ``UNet2DConditionModel`` is the implementation for Stable
/// Diffusion; an app can supply another (a different runtime, a cached or remote model) without
/// changing the pipeline.
public protocol NoisePredictor: Sendable {
    /// Predicts the model output for a batch of latents.
    ///
    /// - Parameters:
    ///   - latents: Scaled noisy latents `[B, C, H, W]` (after the scheduler's `scale_model_input`).
    ///   - timestep: The scheduler's timestep for this step; fractional values are allowed.
    ///   - conditioning: What the prediction is conditioned on, batch `B` (see ``DenoiserConditioning``).
    /// - Returns: The prediction, `[B, outChannels, H, W]`.
    /// - Throws: When the inputs do not fit the model, or the computation fails.
    func predictNoise(latents: Tensor, timestep: Double, conditioning: DenoiserConditioning) throws -> Tensor
}

extension NoisePredictor {
    /// Predicts from text embeddings alone (SD 1.x/2.x text-to-image): shorthand for
    /// ``predictNoise(latents:timestep:conditioning:)`` with a context-only conditioning.
    ///
    /// - Parameters:
    ///   - latents: Scaled noisy latents `[B, C, H, W]`.
    ///   - timestep: The scheduler's timestep.
    ///   - textEmbeddings: `[B, tokens, width]`.
    /// - Returns: The prediction, `[B, outChannels, H, W]`.
    /// - Throws: As ``predictNoise(latents:timestep:conditioning:)``.
    public func predictNoise(latents: Tensor, timestep: Double, textEmbeddings: Tensor) throws -> Tensor {
        try predictNoise(latents: latents, timestep: timestep, conditioning: DenoiserConditioning(context: textEmbeddings))
    }
}
