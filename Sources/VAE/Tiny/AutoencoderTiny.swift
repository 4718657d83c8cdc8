import Foundation

/// diffusers' `AutoencoderTiny` (`models/autoencoders/autoencoder_tiny.py`): TAESD, a distilled
/// autoencoder about 100× cheaper than ``AutoencoderKL`` that reads and writes the same latent space
/// (`madebyollin/taesd` for SD 1.x/2.x, `madebyollin/taesdxl` for SDXL). Used as a stand-in VAE for
/// fast final images and as the preview decoder.
///
/// Scale convention as diffusers' pipelines: ``decode(latents:)`` divides by `scaling_factor` and
/// ``encode(image:random:)`` multiplies by it; both are 1.0 for TAESD. The encoder has no posterior,
/// so encoding draws no random numbers. Not supported: tiling and slicing.
public struct AutoencoderTiny: LatentDecoding, LatentEncoding {
    /// Latents → images.
    public var decoder: TinyDecoder
    /// Images → latents.
    public var encoder: TinyEncoder

    /// The model's configuration.
    public var configuration: AutoencoderTinyConfiguration { decoder.configuration }

    /// Builds both halves from weights under diffusers' names.
    ///
    /// - Parameters:
    ///   - configuration: The model's configuration.
    ///   - weights: Reader at the root of the checkpoint.
    /// - Throws: ``VAEError/invalidConfiguration(key:value:reason:)`` or ``VAEError/tensor(_:)``.
    public init(configuration: AutoencoderTinyConfiguration, weights: WeightReader) throws(VAEError) {
        decoder = try TinyDecoder(configuration: configuration, weights: weights)
        encoder = try TinyEncoder(configuration: configuration, weights: weights)
    }

    /// Loads a diffusers `AutoencoderTiny` folder (`config.json` and
    /// `diffusion_pytorch_model[.variant].safetensors`) strictly: every tensor must be present with its
    /// shape and every tensor in the file must be used.
    ///
    /// - Parameters:
    ///   - directory: The folder (e.g. a download of `madebyollin/taesd`).
    ///   - variant: nil for `diffusion_pytorch_model.safetensors` (or the `.fp16` file when it is the
    ///     only one), or a variant name such as `"fp16"`.
    /// - Throws: ``VAEError`` for a missing or invalid configuration, a missing weights file, or
    ///   missing, misshapen or unused tensors.
    public init(directory: URL, variant: String? = nil) throws(VAEError) {
        let configuration = try AutoencoderTinyConfiguration(contentsOf: directory.appendingPathComponent("config.json"))
        let loader = try VAEModelFolder.openWeights(directory: directory, variant: variant)
        try self.init(configuration: configuration, weights: loader.reader())
        try wrappingTensorErrors { () throws(TensorError) in try loader.finish() }
    }

    /// Channels of the latents (`latent_channels`).
    public var latentChannels: Int { configuration.latentChannels }
    /// 8 for TAESD.
    public var downsamplingFactor: Int { decoder.downsamplingFactor }

    /// Decodes latents in the diffusion model's scale. See ``TinyDecoder/decode(latents:)``.
    ///
    /// - Throws: ``VAEError``.
    public func decode(latents: Tensor) throws(VAEError) -> Tensor { try decoder.decode(latents: latents) }

    /// Encodes images into latents in the diffusion model's scale; `random` is not used. See
    /// ``TinyEncoder/encode(image:random:)``.
    ///
    /// - Throws: ``VAEError``.
    public func encode(image: Tensor, random: (any RandomSource)?) throws(VAEError) -> Tensor {
        try encoder.encode(image: image, random: random)
    }
}
