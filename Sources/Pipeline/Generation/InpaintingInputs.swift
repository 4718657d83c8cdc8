import Schedulers
import TensorModule
import VAE

/// What an inpainting generation feeds the denoising loop, prepared as diffusers'
/// `StableDiffusionInpaintPipeline.__call__` prepares it (`prepare_latents`, then
/// `prepare_mask_latents`), with every random draw in its order:
///
/// 1. the init image's VAE posterior sample, only when the strength is below 1 or the UNet is an
///    ordinary 4-channel one (its latents are then needed for the blend);
/// 2. the noise `[n, 4, h, w]`; the starting latents are that noise × the initial sigma (strength 1),
///    or the init latents noised to the first timestep;
/// 3. the masked image's posterior sample, always (diffusers encodes it even where an ordinary UNet
///    never reads it, so the draws after it line up only if it is drawn here too).
struct InpaintingInputs {
    /// How the model takes the mask.
    enum Mode: Sendable, Equatable {
        /// A 9-channel inpainting UNet: `[mask, masked-image latents]` follow the latents as extra input
        /// channels.
        case extraChannels
        /// An ordinary UNet ("legacy" inpainting): after each step the area to keep is replaced by the
        /// init latents noised to the next timestep.
        case latentBlend
    }

    let mode: Mode
    /// The starting latents `[n, C, h, w]`.
    let initialLatents: Tensor
    /// The mask at latent size, `[n, 1, h, w]`, 1 = repaint.
    let latentMask: Tensor
    /// `[n, 1 + C, h, w]`: the mask then the masked image's latents (the UNet's extra channels).
    let extraChannels: Tensor
    /// The init image's latents `[n, C, h, w]` (for the blend; nil when not drawn).
    let imageLatents: Tensor?
    /// The noise drawn in step 2 (the blend re-noises the init latents with it).
    let noise: Tensor

    /// Prepares the inputs.
    ///
    /// - Parameters:
    ///   - image: The init image (already checked to be the output size).
    ///   - mask: The mask (already checked to be the image's size).
    ///   - mode: How the model takes the mask.
    ///   - strength: The strength as given; exactly 1 starts from pure noise.
    ///   - count: Images per prompt.
    ///   - encoder: The VAE encoder.
    ///   - scheduler: The scheduler, already truncated to the strength's steps.
    ///   - random: The generation's random source.
    /// - Throws: ``PipelineError`` from the encoder or the scheduler.
    init(image: RGBImage, mask: InpaintingMask, mode: Mode, strength: Double, count: Int,
         encoder: any LatentEncoding, scheduler: any Scheduler, random: any RandomSource) throws(PipelineError) {
        let factor = encoder.downsamplingFactor
        let (latentHeight, latentWidth) = (image.height / factor, image.width / factor)
        guard let first = scheduler.timesteps.first else {
            throw .invalidParameter(name: "strength", value: "\(strength)", allowed: "a strength that leaves at least one step")
        }
        let fromNoise = strength == 1  // diffusers' `is_strength_max = strength == 1.0`
        func repeated(_ tensor: Tensor) throws(PipelineError) -> Tensor {
            try attributing(to: "pipeline") { try Tensor.concatenate(Array(repeating: tensor, count: count), axis: 0) }
        }
        var imageLatents: Tensor?
        if mode == .latentBlend || !fromNoise {
            let encoded = try attributing(to: "VAE encoder") { try encoder.encode(image: image.normalizedTensor, random: random) }
            imageLatents = try repeated(encoded)
        }
        let noise = random.normal(shape: [count, encoder.latentChannels, latentHeight, latentWidth])
        if let imageLatents, !fromNoise {
            initialLatents = try attributing(to: "scheduler") { try scheduler.addNoise(to: imageLatents, noise: noise, timestep: first) }
        } else {
            // Pure noise, scaled by the scheduler's initial sigma as diffusers scales it.
            initialLatents = noise * scheduler.initNoiseSigma
        }
        let maskedLatents = try attributing(to: "VAE encoder") { try encoder.encode(image: mask.maskedImage(image), random: random) }
        let latentMask = try repeated(mask.latentMask(latentWidth: latentWidth, latentHeight: latentHeight))
        let maskedRepeated = try repeated(maskedLatents)
        extraChannels = try attributing(to: "pipeline") { try Tensor.concatenate([latentMask, maskedRepeated], axis: 1) }
        self.latentMask = latentMask
        self.mode = mode
        self.imageLatents = imageLatents
        self.noise = noise
    }

    /// The legacy blend after a step: `(1 − m)·init + m·latents`, with the init latents noised to the
    /// next timestep (`add_noise(image_latents, noise, timesteps[i + 1])`), or clean after the last step.
    ///
    /// - Parameters:
    ///   - latents: The scheduler's output of the step just taken.
    ///   - scheduler: The scheduler, already advanced past that step.
    ///   - nextStep: The index of the next step (`i + 1`); equal to the step count after the last.
    func blended(_ latents: Tensor, scheduler: any Scheduler, nextStep: Int) throws(PipelineError) -> Tensor {
        guard mode == .latentBlend, let imageLatents else { return latents }
        var original = imageLatents
        if nextStep < scheduler.timesteps.count {
            original = try attributing(to: "scheduler") {
                try scheduler.addNoise(to: imageLatents, noise: noise, timestep: scheduler.timesteps[nextStep])
            }
        }
        return try attributing(to: "pipeline") {
            let keep = latentMask.map { 1 - $0 }
            let kept = try keep.broadcasting(original, operation: "inpainting blend") { $0 * $1 }
            let repainted = try latentMask.broadcasting(latents, operation: "inpainting blend") { $0 * $1 }
            return try kept.adding(repainted)
        }
    }
}
