/// Something that predicts the model output a scheduler steps with (the noise ε, or v / x₀ depending
/// on the model's training) from noisy latents, a timestep and text embeddings: the denoising
/// component of a diffusion pipeline.
///
/// The pipeline calls it once per step with the classifier-free-guidance batch already laid out
/// (`[unconditional, conditional]` latents paired with `[negative, positive]` embeddings), so a
/// conformer sees batch-aligned inputs and returns one prediction per batch entry. ``UNet2DConditionModel``
/// is the implementation for Stable Diffusion 1.x / 2.x; an app can supply another (a different
/// runtime, a cached or remote model) without changing the pipeline.
public protocol NoisePredictor: Sendable {
    /// Predicts the model output for a batch of latents.
    ///
    /// - Parameters:
    ///   - latents: Scaled noisy latents `[B, C, H, W]` (after the scheduler's `scale_model_input`).
    ///   - timestep: The scheduler's timestep for this step; fractional values are allowed.
    ///   - textEmbeddings: Text-encoder hidden states `[B, tokens, width]`, row `b` conditioning latent `b`.
    /// - Returns: The prediction, `[B, outChannels, H, W]`.
    /// - Throws: When the inputs do not fit the model, or the computation fails.
    func predictNoise(latents: Tensor, timestep: Double, textEmbeddings: Tensor) throws -> Tensor
}
