import Schedulers
import TensorModule

/// Everything that varies between generations on one loaded pipeline. Defaults follow the model
/// family's diffusers pipeline (`StableDiffusionPipeline.__call__`, `StableDiffusionXLPipeline.__call__`)
/// except `steps` (20, the CLI's default, rather than 50); values left nil take the family's default
/// (``ModelFamily``).
public struct GenerationParameters: Sendable {
    /// What the image should not show; nil when none is given. SD 1.x/2.x treat nil as the empty
    /// string (diffusers' default); SDXL models with `force_zeros_for_empty_prompt` use zero
    /// conditioning for nil but encode an explicit "".
    public var negativePrompt: String?
    /// Inference steps of the full schedule (for img2img, only the last `steps × strength` run).
    public var steps: Int = 20
    /// Classifier-free guidance scale; guidance is skipped when it is ≤ 1, as diffusers does. Nil takes
    /// the family's default (7.5 for SD 1.x/2.x, 5.0 for SDXL).
    public var guidanceScale: Float?
    /// Image width in pixels, a multiple of 8; nil takes the model's default (UNet `sample_size` ×
    /// the VAE's downsampling factor), or the init image's width for img2img.
    public var width: Int?
    /// Image height in pixels, a multiple of 8; nil as for `width`.
    public var height: Int?
    /// Seed of the random source; nil draws one from the system generator (reported in the result,
    /// so any image can be reproduced).
    public var seed: UInt64?
    /// Which random source the seed feeds; `.torch` reproduces diffusers'
    /// `torch.Generator("cpu").manual_seed(seed)`.
    public var randomSource: RandomSourceFactory = .torch
    /// The sampler; nil uses the model's own scheduler configuration.
    public var scheduler: (any SchedulerConfiguration)?
    /// Images to generate for the prompt (diffusers' `num_images_per_prompt`).
    public var numberOfImages: Int = 1
    /// Starting latents `[numberOfImages, 4, height/8, width/8]` with diffusers' `latents=` meaning:
    /// they are multiplied by the scheduler's initial noise sigma. Nil draws them from the random source.
    public var initialLatents: Tensor?
    /// How the prompt and negative prompt are read: ``PromptSyntax/automatic1111`` (the default, as most
    /// prompts people paste are written for it: `(a:1.2)`, `[a]`, `BREAK`, `[a:b:when]`, `[a|b]`,
    /// `<lora:…>` tags removed, 75-token chunks with comma back-tracking) or ``PromptSyntax/plain``
    /// (verbatim, exactly as diffusers does, long prompts included). A prompt without syntax characters
    /// that fits 75 tokens encodes identically either way. The PNG parameters text keeps the prompt as typed.
    public var promptSyntax: PromptSyntax = .automatic1111
    /// diffusers' `clip_skip`: nil or 0 uses the text encoder's last layer, 1 the penultimate, …
    /// (A1111's "Clip skip" is this plus one). As in diffusers, it applies to the prompt only; the
    /// negative prompt is always encoded with the last layer.
    public var clipSkip: Int?
    /// Image-to-image: the image to start from; its size must equal the output size.
    public var initImage: RGBImage?
    /// Image-to-image and inpainting: how much of the schedule to run, in 0…1; nil takes the family's
    /// default (image-to-image 0.8 for SD 1.x/2.x, 0.3 for SDXL; inpainting 1.0, SDXL 0.9999).
    public var strength: Double?
    /// Inpainting: which pixels of ``initImage`` to repaint (white) and keep (black); it must be the
    /// init image's size. With an inpainting model (9-channel UNet) the mask and the masked image are
    /// extra UNet inputs; with an ordinary model the kept area is blended back after every step
    /// (diffusers' legacy inpainting). See `Documentation/Inpainting.md`.
    public var mask: InpaintingMask?
    /// Inpainting: paste the original pixels back outside the mask after decoding, through the mask
    /// blurred by this many pixels (AUTOMATIC1111's "Mask blur"; 0 = hard edge). Not something
    /// diffusers does; nil (the default) pastes nothing back, as diffusers.
    public var maskBlur: Int?
    /// SDXL's micro-conditioning: original size, crop top-left and target size (diffusers' `original_size`,
    /// `crops_coords_top_left`, `target_size`); by default the output size and no crop. Ignored by SD 1.x/2.x.
    public var microConditioning = SDXLMicroConditioning()
    /// ControlNets guiding the generation (diffusers' `StableDiffusionControlNetPipeline`; several
    /// act as its `MultiControlNetModel`, residuals summed). With no width and height given, the
    /// output size is the first control image's, rounded down to a multiple of 8.
    public var controlNets: [ControlNetInput] = []
    /// Live previews: every this many steps the progress callback receives preview images
    /// (``GenerationProgress/previews``), decoded with the pipeline's preview decoder (TAESD) or the
    /// family's latent → RGB approximation; nil (the default) decodes none. Must be at least 1.
    /// Previews never change the result.
    public var previewInterval: Int?
    /// diffusers' `denoising_end` (SDXL): stop after this fraction of the schedule, at the timestep cut
    /// ``Refinement`` describes, leaving partly denoised latents (``GenerationResult/latents``; the images
    /// are decoded from them, as diffusers' `output_type="pil"` does). In the open interval 0…1; nil runs
    /// the whole schedule. Not together with ``refinement``, which sets the cut itself.
    public var denoisingEnd: Double?
    /// A base → refiner hand-over at ``Refinement/start`` (SDXL base + refiner, diffusers' `denoising_end`
    /// / `denoising_start`), run as one session; nil runs this pipeline alone.
    public var refinement: Refinement?

    /// Parameters with diffusers' defaults.
    public init() {}

    /// Parameters with the commonly changed values given.
    ///
    /// - Parameters:
    ///   - negativePrompt: What the image should not show, or nil for none.
    ///   - steps: Inference steps.
    ///   - guidanceScale: Classifier-free guidance scale, or nil for the family's default.
    ///   - width: Width in pixels, or nil for the model's default.
    ///   - height: Height in pixels, or nil for the model's default.
    ///   - seed: Random seed, or nil for a random one.
    ///   - scheduler: Sampler, or nil for the model's own.
    public init(negativePrompt: String? = nil, steps: Int = 20, guidanceScale: Float? = nil, width: Int? = nil,
                height: Int? = nil, seed: UInt64? = nil, scheduler: (any SchedulerConfiguration)? = nil) {
        self.negativePrompt = negativePrompt
        self.steps = steps
        self.guidanceScale = guidanceScale
        self.width = width
        self.height = height
        self.seed = seed
        self.scheduler = scheduler
    }
}

/// Makes the random source of one generation from its seed. Random sources are stateful and owned
/// by one generation, so the parameters hold a factory, not a source.
public struct RandomSourceFactory: Sendable {
    /// A short name for logs and the PNG parameters ("torch").
    public let name: String
    private let make: @Sendable (UInt64) -> any RandomSource

    /// A factory with a name and a constructor.
    public init(name: String, make: @escaping @Sendable (UInt64) -> any RandomSource) {
        self.name = name
        self.make = make
    }

    /// A new source seeded with `seed`.
    public func makeSource(seed: UInt64) -> any RandomSource { make(seed) }

    /// PyTorch's CPU generator (MT19937 and torch's float32 normal sampling): seed S gives the same
    /// noise as `torch.Generator("cpu").manual_seed(S)` in diffusers.
    public static let torch = RandomSourceFactory(name: "torch") { TorchGenerator(seed: $0) }
}
