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

    /// A family with its defaults.
    ///
    /// - Parameters:
    ///   - name: Short name.
    ///   - defaultGuidanceScale: Guidance scale used when none is given.
    ///   - defaultStrength: Image-to-image strength used when none is given.
    ///   - defaultInpaintingStrength: Inpainting strength used when none is given.
    public init(name: String, defaultGuidanceScale: Float, defaultStrength: Double, defaultInpaintingStrength: Double = 1) {
        self.name = name
        self.defaultGuidanceScale = defaultGuidanceScale
        self.defaultStrength = defaultStrength
        self.defaultInpaintingStrength = defaultInpaintingStrength
    }

    /// Stable Diffusion 1.x (CLIP ViT-L): diffusers' `StableDiffusionPipeline` (guidance 7.5),
    /// `StableDiffusionImg2ImgPipeline` (strength 0.8) and `StableDiffusionInpaintPipeline` (strength 1.0).
    public static let stableDiffusion1 = ModelFamily(name: "sd1", defaultGuidanceScale: 7.5, defaultStrength: 0.8)
    /// Stable Diffusion 2.x (OpenCLIP ViT-H), same pipeline classes and defaults as 1.x.
    public static let stableDiffusion2 = ModelFamily(name: "sd2", defaultGuidanceScale: 7.5, defaultStrength: 0.8)
    /// Stable Diffusion XL: `StableDiffusionXLPipeline` (guidance 5.0),
    /// `StableDiffusionXLImg2ImgPipeline` (strength 0.3) and `StableDiffusionXLInpaintPipeline`
    /// (strength 0.9999).
    public static let stableDiffusionXL = ModelFamily(name: "sdxl", defaultGuidanceScale: 5.0, defaultStrength: 0.3,
                                                      defaultInpaintingStrength: 0.9999)

    /// The name.
    public var description: String { name }
}
