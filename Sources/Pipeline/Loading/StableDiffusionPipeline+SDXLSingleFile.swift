import Dispatch
import Foundation
import Schedulers
import TextEncoder
import Tokenizer
import UNet
import VAE

/// The configurations diffusers' `from_single_file` takes for an SDXL checkpoint without `config`: those of
/// `stabilityai/stable-diffusion-xl-base-1.0` and `stabilityai/stable-diffusion-xl-refiner-1.0`.
enum PublishedXLConfigurations {
    /// `stable-diffusion-xl-refiner-1.0/unet/config.json`: levels 384, 768, 1536, 1536, the outer two without
    /// attention, transformer depth 4, 64 channels per head, cross-attention over OpenCLIP's 1280 channels,
    /// `text_time` of the 1280-wide pooled embedding and five 256-wide time ids (2560).
    static let refinerUNet = UNetConfiguration(
        sampleSize: 128, downBlockTypes: [.resnet, .crossAttention, .crossAttention, .resnet],
        upBlockTypes: [.resnet, .crossAttention, .crossAttention, .resnet], blockOutChannels: [384, 768, 1536, 1536],
        layersPerBlock: [2, 2, 2, 2], transformerLayersPerBlock: [4, 4, 4, 4], crossAttentionDim: 1280,
        attentionHeads: [6, 12, 24, 24], useLinearProjection: true, additionEmbedType: .textTime,
        additionTimeEmbedDim: 256, projectionClassEmbeddingsInputDim: 2560)

    /// `stable-diffusion-xl-base-1.0/vae/config.json`: the SD VAE structure, 1024², `scaling_factor` 0.13025.
    static let vae = AutoencoderKLConfiguration(sampleSize: 1024, scalingFactor: 0.13025)

    /// `stable-diffusion-xl-base-1.0/scheduler/scheduler_config.json` (the refiner's is the same).
    static let scheduler = """
        {"_class_name": "EulerDiscreteScheduler", "beta_end": 0.012, "beta_schedule": "scaled_linear", "beta_start": 0.00085,
         "clip_sample": false, "interpolation_type": "linear", "num_train_timesteps": 1000, "prediction_type": "epsilon",
         "sample_max_value": 1.0, "set_alpha_to_one": false, "skip_prk_steps": true, "steps_offset": 1,
         "timestep_spacing": "leading", "trained_betas": null, "use_karras_sigmas": false}
        """
}

extension StableDiffusionPipeline {
    /// Loads an SDXL base or refiner single-file checkpoint (SGM / A1111 layout), as diffusers'
    /// `StableDiffusionXLPipeline.from_single_file` (the refiner: `StableDiffusionXLImg2ImgPipeline`) does:
    /// with `options.configFolder`, that folder's component configs, tokenizers, scheduler and
    /// `model_index.json` options; otherwise the published base / refiner configurations, the bundled CLIP
    /// vocabulary (the second tokenizer padding with `!`), and `force_zeros_for_empty_prompt` true for the
    /// base, false for the refiner.
    init(xlSingleFile path: String, family: SingleFileFamily, options: LoadOptions, start: DispatchTime) throws(PipelineError) {
        let isRefiner = family == .stableDiffusionXLRefiner
        let unet: UNetConfiguration, vae: AutoencoderKLConfiguration
        let text1: CLIPTextConfiguration?, text2: CLIPTextConfiguration
        let tokenizer1: CLIPTokenizer?, tokenizer2: CLIPTokenizer
        let forceZeros: Bool
        let schedulerOptions: DiffusersSchedulerConfig
        if let configFolder = options.configFolder.map({ URL(fileURLWithPath: $0) }) {
            let index = try DiffusersFolder.checkModelIndex(configFolder)
            guard index.isXL, index.isRefiner == isRefiner else {
                throw .singleFile(.invalidConfig(path: configFolder.appendingPathComponent("model_index.json").path, key: "_class_name",
                                                 reason: "\(index.className)\(index.isRefiner ? " (refiner)" : "") does not describe the \(family) checkpoint \(path)"))
            }
            func config<T>(_ component: String, _ read: (String) throws -> T) throws(PipelineError) -> T {
                let file = configFolder.appendingPathComponent("\(component)/config.json").path
                do { return try read(file) } catch {
                    throw .singleFile(.invalidConfig(path: file, key: nil, reason: "\(error)"))
                }
            }
            unet = try config("unet") { try UNetConfiguration(contentsOf: $0) }
            vae = try config("vae") { try AutoencoderKLConfiguration(contentsOf: URL(fileURLWithPath: $0)) }
            text2 = try config("text_encoder_2") { try CLIPTextConfiguration(contentsOf: URL(fileURLWithPath: $0)) }
            text1 = try isRefiner ? nil : config("text_encoder") { try CLIPTextConfiguration(contentsOf: URL(fileURLWithPath: $0)) }
            tokenizer2 = try attributing(to: "tokenizer 2") { try CLIPTokenizer(folder: configFolder.appendingPathComponent("tokenizer_2")) }
            tokenizer1 = try isRefiner ? nil
                : attributing(to: "tokenizer") { try CLIPTokenizer(folder: configFolder.appendingPathComponent("tokenizer")) }
            forceZeros = index.forceZerosForEmptyPrompt
            schedulerOptions = try DiffusersFolder.schedulerOptions(configFolder)
        } else {
            unet = isRefiner ? PublishedXLConfigurations.refinerUNet : .sdxl
            vae = PublishedXLConfigurations.vae
            text1 = isRefiner ? nil : .sd15
            text2 = .sdxlEncoder2
            tokenizer1 = try isRefiner ? nil : attributing(to: "tokenizer") { try CLIPTokenizer.bundled(padding: .endOfText) }
            tokenizer2 = try attributing(to: "tokenizer 2") { try CLIPTokenizer.bundled(padding: .exclamationMark) }
            forceZeros = !isRefiner
            schedulerOptions = try attributing(to: "scheduler") { try PublishedSchedulers.options(PublishedXLConfigurations.scheduler) }
        }
        let layout: SingleFileLayout
        let checkpoint: SingleFileCheckpoint
        do {
            layout = try SingleFileLayout(unet: unet, vae: vae, textEncoder: text1 ?? text2, textEncoder2: text1 == nil ? nil : text2)
            checkpoint = try SingleFileCheckpoint(path: path, layout: layout)
        } catch {
            throw .singleFile(error)
        }
        let firstEncoder = text1 ?? text2
        let components = try DiffusersFolder.buildComponents(
            unet: (unet, checkpoint.unet), vae: (vae, checkpoint.vae), textEncoder: (firstEncoder, checkpoint.textEncoder),
            options: options)
        let conditioner: SDXLPromptConditioner
        let encoder2: CLIPTextModel
        // Each slot keeps the source it was built from, so adapters rebuild it without reading the file again.
        let slots: [AdaptableModels.TextSlot]
        if let tokenizer1, let file2 = checkpoint.textEncoder2 {
            let source2 = RecordingWeightSource(base: options.storing(file2))
            encoder2 = try attributing(to: "text encoder 2") { try CLIPTextModel(configuration: text2, weightSource: source2) }
            conditioner = SDXLPromptConditioner(tokenizer: tokenizer1, textEncoder: components.textEncoder, tokenizer2: tokenizer2,
                                                textEncoder2: encoder2, forceZerosForEmptyPrompt: forceZeros)
            slots = [.init(target: .textEncoder, tokenizer: tokenizer1, encoder: components.textEncoder, source: components.textEncoderSource),
                     .init(target: .textEncoder2, tokenizer: tokenizer2, encoder: encoder2, source: source2)]
        } else {
            encoder2 = components.textEncoder
            conditioner = SDXLPromptConditioner(refinerTokenizer: tokenizer2, textEncoder: encoder2, forceZerosForEmptyPrompt: forceZeros)
            slots = [.init(target: .textEncoder2, tokenizer: tokenizer2, encoder: encoder2, source: components.textEncoderSource)]
        }
        let modelName = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        try Self.checkXLComponents(conditioner: conditioner, textEncoder2: encoder2, unet: components.unet.configuration,
                                   vae: components.vae, modelName: modelName)
        try self.init(family: .stableDiffusionXL, conditioner: conditioner, noisePredictor: components.unet, decoder: components.vae,
                      encoder: components.vae, schedulerOptions: schedulerOptions,
                      defaultImageSize: (unet.sampleSize ?? 128) * components.vae.downsamplingFactor,
                      modelName: modelName, loadSeconds: DenoisingSession.seconds(since: start))
        adaptableModels = AdaptableModels(textSlots: slots, unet: components.unet, unetSource: components.unetSource)
    }
}
