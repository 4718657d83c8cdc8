/// Turns latents into images: what the pipeline needs from a VAE decoder, so that another decoder (a
/// tiny preview decoder, a remote one) can stand in for ``VAEDecoder``.
public protocol LatentDecoding: Sendable {
    /// Channels of the latents the decoder accepts (4 for Stable Diffusion).
    var latentChannels: Int { get }
    /// How many image pixels one latent spans on each side (8 for Stable Diffusion).
    var downsamplingFactor: Int { get }

    /// Decodes latents in the diffusion model's scale (as the UNet and schedulers produce them, i.e.
    /// VAE latents × `scaling_factor`) into images.
    ///
    /// - Parameter latents: `[N, latentChannels, h, w]`.
    /// - Returns: Images `[N, 3, h · downsamplingFactor, w · downsamplingFactor]`, nominally in
    ///   [-1, 1] and not clamped (the pipeline maps them to pixels).
    /// - Throws: An error describing bad input or a failed computation.
    func decode(latents: Tensor) throws -> Tensor
}

/// Turns images into latents: what an image-to-image pipeline needs from a VAE encoder.
public protocol LatentEncoding: Sendable {
    /// Channels of the latents the encoder produces (4 for Stable Diffusion).
    var latentChannels: Int { get }
    /// How many image pixels one latent spans on each side (8 for Stable Diffusion).
    var downsamplingFactor: Int { get }

    /// Encodes images into latents in the diffusion model's scale (VAE latents × `scaling_factor`), as
    /// diffusers' img2img pipeline does with `latent_dist.sample(generator) * scaling_factor`.
    ///
    /// - Parameters:
    ///   - image: `[N, 3, H, W]` in [-1, 1].
    ///   - random: Draws the posterior sample's noise (one request of the latents' shape); nil takes the
    ///     posterior's mode instead (diffusers' `sample_mode="argmax"`).
    /// - Returns: `[N, latentChannels, H / downsamplingFactor, W / downsamplingFactor]`.
    /// - Throws: An error describing bad input or a failed computation.
    func encode(image: Tensor, random: (any RandomSource)?) throws -> Tensor
}
