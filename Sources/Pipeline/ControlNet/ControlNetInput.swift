import UNet

/// One ControlNet taking part in a generation (diffusers' `controlnet` / `image` /
/// `controlnet_conditioning_scale` / `control_guidance_start` / `control_guidance_end`, one entry
/// per net of a `MultiControlNetModel`). Several inputs add their residuals up.
public struct ControlNetInput: Sendable {
    /// The model (load it with ``StableDiffusionPipeline/loadControlNet(at:variant:)`` or
    /// ``ControlNetModel/init(folder:variant:)``).
    public var model: ControlNetModel
    /// The control image (edges, depth, pose, …), already preprocessed unless ``preprocessor`` is
    /// set. It is resized to the output size with Pillow's Lanczos filter, without keeping the aspect
    /// ratio, as diffusers does.
    public var image: RGBImage
    /// A built-in preprocessor applied to ``image`` (at its own size, before the resize); nil when
    /// the image is already a control image.
    public var preprocessor: ControlImagePreprocessor?
    /// Multiplies the residuals (`controlnet_conditioning_scale`).
    public var scale: Float
    /// Fraction of the steps after which the ControlNet starts acting (`control_guidance_start`).
    public var start: Double
    /// Fraction of the steps after which it stops acting (`control_guidance_end`).
    public var end: Double
    /// A name for the PNG parameters text (A1111's ControlNet extension writes the model name).
    public var name: String

    /// A ControlNet with its image.
    ///
    /// - Parameters:
    ///   - model: The ControlNet.
    ///   - image: The control image.
    ///   - scale: Conditioning scale, 1 by default.
    ///   - start: First fraction of the schedule it acts on, 0…1 (0 by default).
    ///   - end: Last fraction, 0…1 and above `start` (1 by default).
    ///   - name: A name for the parameters text.
    ///   - preprocessor: A built-in preprocessor for `image` (nil: the image is the control image).
    public init(model: ControlNetModel, image: RGBImage, scale: Float = 1, start: Double = 0, end: Double = 1,
                name: String = "controlnet", preprocessor: ControlImagePreprocessor? = nil) {
        self.model = model
        self.image = image
        self.preprocessor = preprocessor
        self.scale = scale
        self.start = start
        self.end = end
        self.name = name
    }

    /// The control image the ControlNet reads, before the resize: ``image``, preprocessed if asked.
    public var controlImage: RGBImage { preprocessor.map { $0.apply(to: image) } ?? image }

    /// Whether step `step` of `count` is controlled: diffusers' rule
    /// `not (step / count < start or (step + 1) / count > end)`, in double precision.
    public func isActive(step: Int, of count: Int) -> Bool {
        !(Double(step) / Double(count) < start || Double(step + 1) / Double(count) > end)
    }
}
