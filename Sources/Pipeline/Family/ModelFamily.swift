/// A family of models that share a text side and generation defaults: SD 1.x, SD 2.x, SDXL. The
/// pipeline reads its defaults from here, so families differ by data (the values below, from each
/// family's diffusers pipeline class), not by code paths.
public struct ModelFamily: Sendable, Hashable, CustomStringConvertible {
    /// A short name for logs, errors and the PNG parameters ("sd1", "sd2", "sdxl").
    public var name: String
    /// Classifier-free guidance scale when the parameters give none (the pipeline class's
    /// `guidance_scale` default).
    public var defaultGuidanceScale: Float
    /// Image-to-image strength when the parameters give none (the img2img pipeline class's `strength`
    /// default).
    public var defaultStrength: Double
    /// Inpainting strength when the parameters give none (the inpainting pipeline class's `strength`
    /// default).
    public var defaultInpaintingStrength: Double
    /// The `scaling_factor` of the family's published VAE (0.18215 for SD 1.x/2.x, 0.13025 for SDXL):
    /// a replacement ``AutoencoderKL`` whose factor is another family's was trained for that family's
    /// latent space and is refused (``PipelineError/vaeFamilyMismatch(path:vaeFamily:modelFamily:evidence:)``).
    public var vaeScalingFactor: Double
    /// The cheap latent → RGB preview used when no preview decoder is given (the factors ComfyUI
    /// uses for the family's latent space).
    public var latentPreview: LatentRGBApproximation

    /// A family with its defaults.
    ///
    /// - Parameters:
    ///   - name: Short name.
    ///   - defaultGuidanceScale: Guidance scale used when none is given.
    ///   - defaultStrength: Image-to-image strength used when none is given.
    ///   - defaultInpaintingStrength: Inpainting strength used when none is given.
    ///   - vaeScalingFactor: The published VAE's `scaling_factor`.
    ///   - latentPreview: The latent → RGB preview approximation.
    public init(name: String, defaultGuidanceScale: Float, defaultStrength: Double, defaultInpaintingStrength: Double = 1,
                vaeScalingFactor: Double = 0.18215, latentPreview: LatentRGBApproximation = .stableDiffusion) {
        self.name = name
        self.defaultGuidanceScale = defaultGuidanceScale
        self.defaultStrength = defaultStrength
        self.defaultInpaintingStrength = defaultInpaintingStrength
        self.vaeScalingFactor = vaeScalingFactor
        self.latentPreview = latentPreview
    }

    /// Stable Diffusion 1.x (CLIP ViT-L): diffusers' `StableDiffusionPipeline` (guidance 7.5),
    /// `StableDiffusionImg2ImgPipeline` (strength 0.8) and `StableDiffusionInpaintPipeline` (strength 1.0).
    /// Its VAE (`stable-diffusion-v1-5/vae/config.json`) has no `scaling_factor`, so diffusers' default
    /// 0.18215 applies.
    public static let stableDiffusion1 = ModelFamily(name: "sd1", defaultGuidanceScale: 7.5, defaultStrength: 0.8)
    /// Stable Diffusion 2.x (OpenCLIP ViT-H), same pipeline classes and defaults as 1.x.
    public static let stableDiffusion2 = ModelFamily(name: "sd2", defaultGuidanceScale: 7.5, defaultStrength: 0.8)
    /// Stable Diffusion XL: `StableDiffusionXLPipeline` (guidance 5.0),
    /// `StableDiffusionXLImg2ImgPipeline` (strength 0.3) and `StableDiffusionXLInpaintPipeline`
    /// (strength 0.9999). Its VAE (`stable-diffusion-xl-base-1.0/vae/config.json`) has `scaling_factor` 0.13025.
    public static let stableDiffusionXL = ModelFamily(name: "sdxl", defaultGuidanceScale: 5.0, defaultStrength: 0.3,
                                                      defaultInpaintingStrength: 0.9999, vaeScalingFactor: 0.13025,
                                                      latentPreview: .stableDiffusionXL)

    /// The families this SDK knows, for telling which one a replacement VAE belongs to.
    public static let known: [ModelFamily] = [.stableDiffusion1, .stableDiffusion2, .stableDiffusionXL]

    /// The name.
    public var description: String { name }
}
