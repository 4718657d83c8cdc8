import Foundation
import VAE

/// Stable Diffusion text-to-image (and image-to-image), as diffusers' `StableDiffusionPipeline` and
/// `StableDiffusionImg2ImgPipeline` run it: prompt conditioner (tokenizer → text encoder) → a
/// scheduler iterating the denoiser with classifier-free guidance in latent space → VAE decoder →
/// RGB8 images.
///
/// One pipeline type serves every model family: the ``family`` supplies defaults, the
/// ``conditioner`` turns prompts into the ``DenoiserConditioning`` the denoiser reads, and a task
/// (image-to-image, …) only changes what the one step loop (``DenoisingSession``) puts into that
/// value. The pipeline is an immutable, `Sendable` value: load it once and serve concurrent requests;
/// each generation gets its own scheduler and random source. Every component is a protocol, so an app
/// can swap any of them (its own scheduler, text encoder, preview decoder).
public struct StableDiffusionPipeline: Sendable {
    /// The model family (SD 1.x, 2.x, SDXL): its generation defaults.
    public let family: ModelFamily
    /// The family's text side: prompts → denoiser conditioning.
    public internal(set) var conditioner: any PromptConditioner
    /// The primary tokenizer (the conditioner's first).
    public var tokenizer: any PromptTokenizer { conditioner.textEncoders[0].tokenizer }
    /// The primary text encoder (the conditioner's first).
    public var textEncoder: any TextEncoding { conditioner.textEncoders[0].encoder }
    /// The denoiser (the UNet).
    public internal(set) var noisePredictor: any NoisePredictor
    /// Latents → images (the model's VAE, or the one ``replacingVAE(_:)`` put in its place).
    public internal(set) var decoder: any LatentDecoding
    /// Images → latents, for image-to-image; nil if the model has none.
    public internal(set) var encoder: (any LatentEncoding)?
    /// Latents → preview images (``GenerationParameters/previewInterval``): a TAESD when one is given
    /// (``replacingVAE(_:)`` with a TAESD, or ``replacingPreviewDecoder(_:)``); nil uses the family's
    /// ``ModelFamily/latentPreview`` approximation.
    public internal(set) var previewDecoder: (any LatentDecoding)?
    /// The replacement VAE's name (its file or folder name) when the VAE was replaced, for the PNG
    /// parameters; nil for the model's own.
    public internal(set) var vaeName: String?
    /// The configuration of the model's own AutoencoderKL, when it has one: single-file replacement
    /// VAEs are read with it (their files carry none).
    public let modelVAEConfiguration: AutoencoderKLConfiguration?
    /// The model's own scheduler, used when the parameters name none.
    public let defaultScheduler: any SchedulerConfiguration
    /// The model's scheduler options (betas, prediction type, …) that named schedulers are built from,
    /// with diffusers' `from_config` semantics.
    public let schedulerOptions: DiffusersSchedulerConfig
    /// The default image side in pixels (UNet `sample_size` × the decoder's downsampling factor).
    public let defaultImageSize: Int
    /// A name for the model (the folder or file name), written into the PNG parameters.
    public let modelName: String
    /// Seconds it took to load the model (0 for pipelines assembled from components).
    public internal(set) var loadSeconds: Double
    /// Whether the denoiser is an inpainting model: it takes the mask and the masked image's latents
    /// as extra input channels (SD 1.5 / SD 2 inpainting, `in_channels` 9), and so needs a mask.
    public let isInpaintingModel: Bool
    /// The LoRAs and embeddings applied to this pipeline value (none for a loaded model; see
    /// ``applying(loras:embeddings:)``).
    public internal(set) var adapters = AppliedAdapters()
    /// The models as loaded from files, which adapters are applied to; nil for pipelines assembled
    /// from components.
    var adaptableModels: AdaptableModels?

    /// Assembles an SD 1.x/2.x pipeline from components: a ``CLIPPromptConditioner`` over the
    /// tokenizer and text encoder.
    ///
    /// - Parameters:
    ///   - tokenizer: Prompt tokenizer.
    ///   - textEncoder: Text encoder; its `embeddingWidth` must be the UNet's cross-attention width.
    ///   - family: The model family whose defaults apply.
    ///   - noisePredictor: The denoiser.
    ///   - decoder: Latent decoder.
    ///   - encoder: Latent encoder for image-to-image, or nil.
    ///   - schedulerOptions: The model's scheduler options; named schedulers are built from them.
    ///   - defaultScheduler: The scheduler used when the parameters name none; nil builds the one
    ///     `schedulerOptions` names (its `_class_name`).
    ///   - defaultImageSize: Default image side in pixels.
    ///   - modelName: Name for the PNG parameters.
    ///   - loadSeconds: Load time to report in statistics.
    ///   - isInpaintingModel: Whether the denoiser takes inpainting's extra input channels.
    /// - Throws: ``PipelineError/scheduler(_:)`` if no default scheduler can be built.
    public init(tokenizer: any PromptTokenizer, textEncoder: any TextEncoding, family: ModelFamily = .stableDiffusion1,
                noisePredictor: any NoisePredictor, decoder: any LatentDecoding, encoder: (any LatentEncoding)?,
                schedulerOptions: DiffusersSchedulerConfig, defaultScheduler: (any SchedulerConfiguration)? = nil,
                defaultImageSize: Int = 512, modelName: String = "model", loadSeconds: Double = 0,
                isInpaintingModel: Bool = false) throws(PipelineError) {
        try self.init(family: family, conditioner: CLIPPromptConditioner(tokenizer: tokenizer, textEncoder: textEncoder),
                      noisePredictor: noisePredictor, decoder: decoder, encoder: encoder, schedulerOptions: schedulerOptions,
                      defaultScheduler: defaultScheduler, defaultImageSize: defaultImageSize, modelName: modelName,
                      loadSeconds: loadSeconds, isInpaintingModel: isInpaintingModel)
    }

    /// Assembles a pipeline of any family from its conditioner and components.
    ///
    /// - Parameters:
    ///   - family: The model family whose defaults apply.
    ///   - conditioner: Prompts → denoiser conditioning; it must name at least one text encoder.
    ///   - noisePredictor: The denoiser.
    ///   - decoder: Latent decoder.
    ///   - encoder: Latent encoder for image-to-image, or nil.
    ///   - schedulerOptions: The model's scheduler options; named schedulers are built from them.
    ///   - defaultScheduler: The scheduler used when the parameters name none; nil builds the one
    ///     `schedulerOptions` names (its `_class_name`).
    ///   - defaultImageSize: Default image side in pixels.
    ///   - modelName: Name for the PNG parameters.
    ///   - loadSeconds: Load time to report in statistics.
    ///   - isInpaintingModel: Whether the denoiser takes inpainting's extra input channels.
    /// - Throws: ``PipelineError/scheduler(_:)`` if no default scheduler can be built,
    ///   ``PipelineError/invalidModel(path:reason:)`` for a conditioner without text encoders.
    public init(family: ModelFamily, conditioner: any PromptConditioner, noisePredictor: any NoisePredictor,
                decoder: any LatentDecoding, encoder: (any LatentEncoding)?, schedulerOptions: DiffusersSchedulerConfig,
                defaultScheduler: (any SchedulerConfiguration)? = nil, defaultImageSize: Int = 512,
                modelName: String = "model", loadSeconds: Double = 0, isInpaintingModel: Bool = false) throws(PipelineError) {
        guard !conditioner.textEncoders.isEmpty else {
            throw .invalidModel(path: modelName, reason: "the prompt conditioner names no text encoder")
        }
        self.family = family
        self.conditioner = conditioner
        self.noisePredictor = noisePredictor
        self.decoder = decoder
        self.encoder = encoder
        self.modelVAEConfiguration = (decoder as? AutoencoderKL)?.configuration ?? (decoder as? VAEDecoder)?.configuration
        self.schedulerOptions = schedulerOptions
        if let defaultScheduler {
            self.defaultScheduler = defaultScheduler
        } else {
            do { self.defaultScheduler = try schedulerOptions.modelConfiguration() } catch { throw .scheduler(error) }
        }
        self.defaultImageSize = defaultImageSize
        self.modelName = modelName
        self.loadSeconds = loadSeconds
        self.isInpaintingModel = isInpaintingModel
    }

    /// A scheduler by its CLI name (`ddim`, `pndm`, `euler`, `euler-a`, `lms`, `heun`, `dpm++2m`,
    /// `dpm++2m-karras`, `ddpm`, `unipc`, `lcm`), built from the model's scheduler options.
    ///
    /// - Throws: ``PipelineError/scheduler(_:)`` for an unknown name or options it cannot use.
    public func scheduler(named name: String) throws(PipelineError) -> any SchedulerConfiguration {
        do { return try schedulerOptions.configuration(named: name) } catch { throw .scheduler(error) }
    }
}
