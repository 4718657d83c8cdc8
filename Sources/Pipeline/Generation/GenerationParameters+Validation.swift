extension GenerationParameters {
    /// The largest image side accepted, in pixels. A 4096² image already needs a 512² latent and
    /// tens of gigabytes of attention work; anything larger is almost surely a typo.
    public static let maximumSide = 4096
    /// The most images one request may ask for.
    public static let maximumImages = 64
    /// The largest paste-back blur, in pixels (the web UI's slider stops at 64).
    public static let maximumMaskBlur = 64

    /// The checked, resolved form of the parameters for one model.
    struct Resolved {
        var width: Int
        var height: Int
        var latentWidth: Int
        var latentHeight: Int
        var guidanceScale: Float
        var strength: Double
        var usesGuidance: Bool { guidanceScale > 1 }
    }

    /// Checks every parameter and resolves the output size.
    ///
    /// - Parameters:
    ///   - defaultSize: The model's default side in pixels.
    ///   - downsamplingFactor: Pixels per latent (8 for Stable Diffusion's VAE).
    ///   - family: Where the guidance scale and strength come from when they are nil.
    /// - Throws: ``PipelineError/invalidParameter(name:value:allowed:)`` naming the parameter and its range.
    func resolved(defaultSize: Int, downsamplingFactor: Int, family: ModelFamily) throws(PipelineError) -> Resolved {
        func invalid(_ name: String, _ value: String, _ allowed: String) -> PipelineError {
            .invalidParameter(name: name, value: value, allowed: allowed)
        }
        guard steps >= 1, steps <= 1000 else { throw invalid("steps", "\(steps)", "1…1000") }
        let guidanceScale = self.guidanceScale ?? family.defaultGuidanceScale
        let strength = self.strength ?? (mask != nil ? family.defaultInpaintingStrength : family.defaultStrength)
        guard guidanceScale.isFinite else { throw invalid("guidanceScale", "\(guidanceScale)", "a finite number") }
        guard numberOfImages >= 1, numberOfImages <= Self.maximumImages else {
            throw invalid("numberOfImages", "\(numberOfImages)", "1…\(Self.maximumImages)")
        }
        guard strength.isFinite, strength >= 0, strength <= 1 else { throw invalid("strength", "\(strength)", "0…1") }
        if let clipSkip, clipSkip < 0 { throw invalid("clipSkip", "\(clipSkip)", "0 or more") }
        if let previewInterval, previewInterval < 1 { throw invalid("previewInterval", "\(previewInterval)", "1 or more, or nil for no previews") }
        let step = max(8, downsamplingFactor)
        try validateControlNets()
        // diffusers' ControlNet pipeline takes the size of the (first) control image, rounded down
        // to a multiple of the VAE factor (`VaeImageProcessor.get_default_height_width`).
        let controlImage = controlNets.first?.image
        let width = self.width ?? initImage?.width ?? controlImage.map { $0.width - $0.width % downsamplingFactor } ?? defaultSize
        let height = self.height ?? initImage?.height ?? controlImage.map { $0.height - $0.height % downsamplingFactor } ?? defaultSize
        for (name, value) in [("width", width), ("height", height)] {
            guard value > 0, value <= Self.maximumSide, value % step == 0 else {
                throw invalid(name, "\(value)", "a multiple of \(step) in \(step)…\(Self.maximumSide)")
            }
        }
        if let maskBlur {
            guard mask != nil else { throw invalid("maskBlur", "\(maskBlur) without a mask", "a mask blur together with a mask") }
            guard maskBlur >= 0, maskBlur <= Self.maximumMaskBlur else { throw invalid("maskBlur", "\(maskBlur)", "0…\(Self.maximumMaskBlur) pixels") }
        }
        if let initImage, initImage.width != width || initImage.height != height {
            throw invalid("initImage", "\(initImage.width)×\(initImage.height)", "an image of the output size \(width)×\(height)")
        }
        if let mask {
            guard initImage != nil else { throw .maskWithoutInitImage }
            try mask.checkSize(width: width, height: height)  // the init image's size, checked above
        }
        let latentWidth = width / downsamplingFactor, latentHeight = height / downsamplingFactor
        if let initialLatents {
            guard initialLatents.rank == 4, initialLatents.shape[0] == numberOfImages,
                  initialLatents.shape[2] == latentHeight, initialLatents.shape[3] == latentWidth else {
                throw invalid("initialLatents", "shape \(initialLatents.shape)",
                              "shape [\(numberOfImages), channels, \(latentHeight), \(latentWidth)]")
            }
            guard initialLatents.scalars.allSatisfy(\.isFinite) else {
                throw invalid("initialLatents", "non-finite values", "finite values")
            }
        }
        return Resolved(width: width, height: height, latentWidth: latentWidth, latentHeight: latentHeight,
                        guidanceScale: guidanceScale, strength: strength)
    }

    /// Each ControlNet's scale and window, as diffusers' `check_inputs` requires them.
    private func validateControlNets() throws(PipelineError) {
        for (index, input) in controlNets.enumerated() {
            let name = "controlNets[\(index)]"
            guard input.scale.isFinite else {
                throw .invalidParameter(name: "\(name).scale", value: "\(input.scale)", allowed: "a finite number")
            }
            guard input.start >= 0, input.end <= 1, input.start < input.end else {
                throw .invalidParameter(name: "\(name).start/end", value: "\(input.start)…\(input.end)",
                                        allowed: "0 ≤ start < end ≤ 1")
            }
            guard input.image.width >= 1, input.image.height >= 1 else {
                throw .invalidParameter(name: "\(name).image", value: "\(input.image.width)×\(input.image.height)", allowed: "a non-empty image")
            }
        }
    }
}
