import Foundation
import VAE

extension StableDiffusionPipeline {
    /// The same pipeline with another VAE for the final decode and for image-to-image encoding
    /// (diffusers' `StableDiffusionPipeline.from_pretrained(…, vae=…)`). The pipeline is a value: the
    /// original keeps its VAE, and both can serve generations at once.
    ///
    /// A TAESD (``VAEReplacement/Kind/tiny(_:)``) also becomes the ``previewDecoder``; any other
    /// replacement leaves the preview decoder as it was.
    ///
    /// - Parameter vae: The replacement.
    /// - Returns: The new pipeline.
    /// - Throws: ``PipelineError/vaeLatentChannelsMismatch(path:vaeChannels:modelChannels:)`` when its
    ///   latents have another channel count than the model's VAE (which loading checked against the
    ///   UNet); ``PipelineError/vaeFamilyMismatch(path:vaeFamily:modelFamily:evidence:)`` when its
    ///   configuration shows it was made for another family's latent space; the same for the encoder.
    public func replacingVAE(_ vae: VAEReplacement) throws(PipelineError) -> StableDiffusionPipeline {
        let channels = decoder.latentChannels
        for candidate in [vae.decoder.latentChannels] + (vae.encoder.map { [$0.latentChannels] } ?? []) where candidate != channels {
            throw .vaeLatentChannelsMismatch(path: vae.name, vaeChannels: candidate, modelChannels: channels)
        }
        if let families = vae.families(), !families.contains(where: { $0.vaeScalingFactor == family.vaeScalingFactor }) {
            throw .vaeFamilyMismatch(path: vae.name, vaeFamily: families.map(\.name).joined(separator: "/"), modelFamily: family.name,
                                     evidence: "scaling_factor \(vae.scalingFactor ?? 0)")
        }
        var replaced = self
        replaced.decoder = vae.decoder
        replaced.encoder = vae.encoder
        replaced.vaeName = URL(fileURLWithPath: vae.name).deletingPathExtension().lastPathComponent
        if case .tiny = vae.kind { replaced.previewDecoder = vae.decoder }
        return replaced
    }

    /// The same pipeline with a VAE loaded from disk (see ``VAEReplacement/load(contentsOf:singleFileConfiguration:variant:tiling:)``).
    /// A single `.safetensors` VAE takes the model's own VAE configuration when the model has an
    /// AutoencoderKL (diffusers' `from_single_file(…, config=base model)`), else the family's
    /// published one.
    ///
    /// - Parameters:
    ///   - path: A VAE folder (AutoencoderKL or AutoencoderTiny) or a single `.safetensors` VAE.
    ///   - variant: Weight variant of a folder (`"fp16"`).
    ///   - tiling: Tiling for an AutoencoderKL.
    /// - Returns: The new pipeline.
    /// - Throws: The loading errors of ``VAEReplacement``, then those of ``replacingVAE(_:)``.
    public func replacingVAE(contentsOf path: String, variant: String? = nil, tiling: VAETiling? = nil) throws(PipelineError) -> StableDiffusionPipeline {
        let configuration = try singleFileVAEConfiguration()
        return try replacingVAE(VAEReplacement.load(contentsOf: path, singleFileConfiguration: configuration,
                                                    variant: variant, tiling: tiling))
    }

    /// The same pipeline with another decoder for previews (a TAESD, typically, while the final image
    /// uses the full VAE); nil returns to the family's latent → RGB approximation.
    ///
    /// - Parameter decoder: The preview decoder, or nil.
    /// - Returns: The new pipeline.
    /// - Throws: ``PipelineError/vaeLatentChannelsMismatch(path:vaeChannels:modelChannels:)``.
    public func replacingPreviewDecoder(_ decoder: (any LatentDecoding)?) throws(PipelineError) -> StableDiffusionPipeline {
        if let decoder, decoder.latentChannels != self.decoder.latentChannels {
            throw .vaeLatentChannelsMismatch(path: "preview decoder", vaeChannels: decoder.latentChannels,
                                             modelChannels: self.decoder.latentChannels)
        }
        var replaced = self
        replaced.previewDecoder = decoder
        return replaced
    }

    /// The configuration a single-file VAE is read with: the model's own AutoencoderKL's, else the
    /// family's published VAE's.
    func singleFileVAEConfiguration() throws(PipelineError) -> AutoencoderKLConfiguration {
        if let modelVAEConfiguration { return modelVAEConfiguration }
        switch family.name {
        case ModelFamily.stableDiffusion1.name: return .sd15
        case ModelFamily.stableDiffusion2.name: return .sd21
        case ModelFamily.stableDiffusionXL.name:
            // stabilityai/stable-diffusion-xl-base-1.0, vae/config.json: SD's architecture, 1024² tiles.
            return AutoencoderKLConfiguration(sampleSize: 1024, scalingFactor: 0.13025)
        default:
            throw .invalidModel(path: modelName, reason: "no published VAE configuration for the \(family.name) family; load the VAE yourself and use replacingVAE(_:)")
        }
    }
}
