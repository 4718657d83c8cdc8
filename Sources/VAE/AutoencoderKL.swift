import Foundation

/// diffusers' `AutoencoderKL` (`models/autoencoders/autoencoder_kl.py`) as Stable Diffusion 1.x / 2.x
/// uses it: a ``VAEDecoder`` (latents → images, for text-to-image) and a ``VAEEncoder`` (images →
/// latents, for image-to-image), loaded from one checkpoint.
///
/// Scale convention, as diffusers' pipelines: ``decode(latents:)`` takes latents in the diffusion
/// model's scale and divides them by `scaling_factor`; ``encode(image:random:)`` multiplies by it.
/// The `unscaled` / ``posterior(image:)`` variants work in the VAE's own scale, like `vae.decode` and
/// `vae.encode` in diffusers.
///
/// Load only the half you need with ``VAEDecoder/init(directory:variant:tiling:)`` or
/// ``VAEEncoder/init(directory:variant:tiling:)`` to save its memory (the decoder is 50 M
/// parameters, the encoder 34 M for SD). Not supported: slicing (batches are decoded together),
/// `shift_factor` and `latents_mean` / `latents_std` (SD pipelines ignore them).
public struct AutoencoderKL: LatentDecoding, LatentEncoding {
    /// Latents → images.
    public var decoder: VAEDecoder
    /// Images → latents.
    public var encoder: VAEEncoder

    /// The model's configuration.
    public var configuration: AutoencoderKLConfiguration { decoder.configuration }

    /// Tiling for both halves (diffusers' `enable_tiling()` is `tiling = .default(for: configuration)`);
    /// nil never tiles. Reads the decoder's setting.
    public var tiling: VAETiling? {
        get { decoder.tiling }
        set { decoder.tiling = newValue; encoder.tiling = newValue }
    }

    /// Builds both halves from weights under diffusers' names.
    ///
    /// - Parameters:
    ///   - configuration: The model's configuration.
    ///   - weights: Reader at the root of the VAE checkpoint.
    ///   - tiling: Initial tiling option for both halves.
    /// - Throws: ``VAEError/invalidConfiguration(key:value:reason:)`` or ``VAEError/tensor(_:)``.
    public init(configuration: AutoencoderKLConfiguration, weights: WeightReader, tiling: VAETiling? = nil) throws(VAEError) {
        decoder = try VAEDecoder(configuration: configuration, weights: weights, tiling: tiling)
        encoder = try VAEEncoder(configuration: configuration, weights: weights, tiling: tiling)
    }

    /// Loads a VAE folder (`config.json` and `diffusion_pytorch_model[.variant].safetensors`) strictly:
    /// every tensor must be present with its shape and every tensor in the file must be used.
    ///
    /// - Parameters:
    ///   - directory: The `vae` folder of a Stable Diffusion model.
    ///   - variant: nil for `diffusion_pytorch_model.safetensors` (falling back to the `.fp16` file if it
    ///     is the only one), or a variant name such as `"fp16"` for `diffusion_pytorch_model.fp16.safetensors`.
    ///     Half-precision weights are widened to float32.
    ///   - tiling: Initial tiling option.
    /// - Throws: ``VAEError`` for a missing or invalid configuration, a missing weights file, or
    ///   missing, misshapen or unused tensors.
    public init(directory: URL, variant: String? = nil, tiling: VAETiling? = nil) throws(VAEError) {
        let folder = try VAEModelFolder(directory: directory, variant: variant)
        try self.init(configuration: folder.configuration, weights: folder.loader.reader(), tiling: tiling)
        try folder.finish()
    }

    /// Channels of the latents (`latent_channels`).
    public var latentChannels: Int { configuration.latentChannels }
    /// 2^(levels − 1): 8 for SD.
    public var downsamplingFactor: Int { configuration.downsamplingFactor }

    /// Decodes latents in the diffusion model's scale (divides by `scaling_factor` first).
    /// See ``VAEDecoder/decode(latents:)``.
    ///
    /// - Throws: ``VAEError``.
    public func decode(latents: Tensor) throws(VAEError) -> Tensor { try decoder.decode(latents: latents) }

    /// Decodes latents in the VAE's own scale (diffusers' `vae.decode(z)`).
    /// See ``VAEDecoder/decode(unscaledLatents:)``.
    ///
    /// - Throws: ``VAEError``.
    public func decode(unscaledLatents: Tensor) throws(VAEError) -> Tensor {
        try decoder.decode(unscaledLatents: unscaledLatents)
    }

    /// The posterior over latents in the VAE's own scale (diffusers' `vae.encode(x).latent_dist`).
    /// See ``VAEEncoder/posterior(image:)``.
    ///
    /// - Throws: ``VAEError``.
    public func posterior(image: Tensor) throws(VAEError) -> DiagonalGaussianDistribution {
        try encoder.posterior(image: image)
    }

    /// Encodes images into latents in the diffusion model's scale (× `scaling_factor`).
    /// See ``VAEEncoder/encode(image:random:)``.
    ///
    /// - Throws: ``VAEError``.
    public func encode(image: Tensor, random: (any RandomSource)?) throws(VAEError) -> Tensor {
        try encoder.encode(image: image, random: random)
    }
}
