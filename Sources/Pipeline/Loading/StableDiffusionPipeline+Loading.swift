import Dispatch
import Foundation
import Schedulers
import TextEncoder
import Tokenizer
import UNet
import VAE

extension StableDiffusionPipeline {
    /// Loads a model as people download it: a diffusers folder (`model_index.json`, `tokenizer/`,
    /// `text_encoder/`, `unet/`, `vae/`, `scheduler/`) or a single-file checkpoint in the original
    /// LDM / A1111 layout (`.safetensors`, SD 1.x, 2.x or SDXL base / refiner). No conversion step; fp16 weights stay 16-bit
    /// in the mapped files and are widened to float32 where used. `.ckpt` pickles are refused (convert
    /// them to safetensors).
    ///
    /// - Parameters:
    ///   - path: The folder or file.
    ///   - options: Variant, config folder for single files, VAE tiling.
    /// - Throws: ``PipelineError`` naming the file and what was expected.
    public init(contentsOf path: String, options: LoadOptions = LoadOptions()) throws(PipelineError) {
        let start = DispatchTime.now()
        try BLASDiagnosticsCheck.ensure()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .fileNotFound(path: path, what: "model folder or checkpoint file")
        }
        if isDirectory.boolValue {
            try self.init(diffusersFolder: URL(fileURLWithPath: path), options: options, start: start)
        } else {
            try self.init(singleFile: path, options: options, start: start)
        }
        if let vae = options.vae {
            self = try replacingVAE(contentsOf: vae, tiling: options.vaeTiling)
            loadSeconds = DenoisingSession.seconds(since: start)
        }
    }

    private init(diffusersFolder folder: URL, options: LoadOptions, start: DispatchTime) throws(PipelineError) {
        let index = try DiffusersFolder.checkModelIndex(folder)
        if index.isXL {
            try self.init(xlFolder: folder, index: index, options: options, start: start)
            return
        }
        let tokenizer = try attributing(to: "tokenizer") { try CLIPTokenizer(folder: folder.appendingPathComponent("tokenizer")) }
        let components = try DiffusersFolder.loadComponents(
            unetFolder: folder.appendingPathComponent("unet"), vaeFolder: folder.appendingPathComponent("vae"),
            textEncoderFolder: folder.appendingPathComponent("text_encoder"), options: options)
        let schedulerOptions = try DiffusersFolder.schedulerOptions(folder)
        try self.init(tokenizer: tokenizer, components: components, schedulerOptions: schedulerOptions,
                      modelName: folder.standardizedFileURL.lastPathComponent, start: start)
    }

    private init(singleFile path: String, options: LoadOptions, start: DispatchTime) throws(PipelineError) {
        // SDXL files carry two text encoders and other configurations: their own path (the file's header only here).
        if let family = try? SingleFileCheckpoint.detectFamily(path: path), family.isXL {
            try self.init(xlSingleFile: path, family: family, options: options, start: start)
            return
        }
        let configFolder = options.configFolder.map { URL(fileURLWithPath: $0) }
        // With a config folder, its component configurations decide both the key mapping and the models.
        let folderConfigurations: (unet: UNetConfiguration, vae: AutoencoderKLConfiguration, textEncoder: CLIPTextConfiguration)?
        let layout: SingleFileLayout?
        do {
            folderConfigurations = try configFolder.map { (folder) throws(SingleFileError) in
                try SingleFileLayout.componentConfigurations(diffusersFolder: folder.path)
            }
            layout = try folderConfigurations.map { (configurations) throws(SingleFileError) in
                try SingleFileLayout(unet: configurations.unet, vae: configurations.vae, textEncoder: configurations.textEncoder)
            }
        } catch {
            throw .singleFile(error)
        }
        let checkpoint: SingleFileCheckpoint
        do { checkpoint = try SingleFileCheckpoint(path: path, layout: layout) } catch { throw .singleFile(error) }
        let isV1 = checkpoint.family == .stableDiffusion1
        let tokenizer: any PromptTokenizer
        let configurations: (unet: UNetConfiguration, vae: AutoencoderKLConfiguration, textEncoder: CLIPTextConfiguration)
        let schedulerOptions: DiffusersSchedulerConfig
        if let configFolder, let folderConfigurations {
            tokenizer = try attributing(to: "tokenizer") { try CLIPTokenizer(folder: configFolder.appendingPathComponent("tokenizer")) }
            configurations = folderConfigurations
            schedulerOptions = try DiffusersFolder.schedulerOptions(configFolder)
        } else {
            let vPrediction = checkpoint.prediction.kind == .vPrediction
            tokenizer = try attributing(to: "tokenizer") { try CLIPTokenizer.bundled(padding: isV1 ? .endOfText : .exclamationMark) }
            var unet = isV1 ? UNetConfiguration.sd15 : UNetConfiguration.sd21
            if !isV1 && !vPrediction { unet.sampleSize = 64 }  // SD 2.x base and inpainting models are 512²
            // Inpainting checkpoints (SD 1.5 / SD 2 inpainting) differ from the published configs only here.
            unet.inChannels = checkpoint.unetInputChannels
            configurations = (unet, isV1 ? .sd15 : .sd21, isV1 ? .sd15 : .sd21)
            schedulerOptions = try attributing(to: "scheduler") {
                try PublishedSchedulers.options(isV1 ? PublishedSchedulers.sd15
                                                : PublishedSchedulers.sd2(predictionType: vPrediction ? "v_prediction" : "epsilon"))
            }
        }
        let components = try DiffusersFolder.buildComponents(
            unet: (configurations.unet, checkpoint.unet), vae: (configurations.vae, checkpoint.vae),
            textEncoder: (configurations.textEncoder, checkpoint.textEncoder), options: options)
        try self.init(tokenizer: tokenizer, components: components, schedulerOptions: schedulerOptions,
                      modelName: URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent, start: start)
    }

    private init(tokenizer: any PromptTokenizer, components: DiffusersFolder.Components,
                 schedulerOptions: DiffusersSchedulerConfig, modelName: String, start: DispatchTime) throws(PipelineError) {
        let (textEncoder, unet, vae) = (components.textEncoder, components.unet, components.vae)
        guard textEncoder.embeddingWidth == unet.configuration.crossAttentionDim else {
            throw .invalidModel(path: modelName, reason: "text encoder width \(textEncoder.embeddingWidth) does not match the UNet's cross_attention_dim \(unet.configuration.crossAttentionDim)")
        }
        // An inpainting UNet takes the latents, the mask and the masked image's latents (2·latent + 1).
        let inChannels = unet.configuration.inChannels
        guard inChannels == vae.latentChannels || inChannels == 2 * vae.latentChannels + 1 else {
            throw .invalidModel(path: modelName, reason: "VAE latent_channels \(vae.latentChannels) does not match the UNet's in_channels \(inChannels) "
                                + "(expected \(vae.latentChannels), or \(2 * vae.latentChannels + 1) for an inpainting model)")
        }
        let defaultSize = (unet.configuration.sampleSize ?? 64) * vae.downsamplingFactor
        // SD 2.x's OpenCLIP tokenizer pads with `!` (id 0); SD 1.x's CLIP pads with end-of-text.
        let family: ModelFamily = tokenizer.paddingID == tokenizer.endOfSequenceID ? .stableDiffusion1 : .stableDiffusion2
        try self.init(tokenizer: tokenizer, textEncoder: textEncoder, family: family, noisePredictor: unet, decoder: vae, encoder: vae,
                      schedulerOptions: schedulerOptions, defaultImageSize: defaultSize, modelName: modelName,
                      loadSeconds: DenoisingSession.seconds(since: start), isInpaintingModel: inChannels != vae.latentChannels)
        if let clipTokenizer = tokenizer as? CLIPTokenizer {
            adaptableModels = AdaptableModels(
                textSlots: [.init(target: .textEncoder, tokenizer: clipTokenizer, encoder: textEncoder, source: components.textEncoderSource)],
                unet: unet, unetSource: components.unetSource)
        }
    }
}

/// Checks that OpenBLAS can be loaded before any model work starts, so the failure is an error and
/// not a trap in the first GEMM.
enum BLASDiagnosticsCheck {
    static func ensure() throws(PipelineError) {
        do { try BLASDiagnostics.ensureAvailable() } catch { throw .tensor(error) }
    }
}
