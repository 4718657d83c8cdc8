import Foundation
import Schedulers
import TensorModule
import TextEncoder
import UNet
import VAE

/// The parts of a diffusers model folder the pipeline reads.
enum DiffusersFolder {
    /// The SD 1.x/2.x pipelines this SDK runs (`model_index.json`'s `_class_name`).
    static let supportedPipelines: Set<String> = [
        "StableDiffusionPipeline", "StableDiffusionImg2ImgPipeline", "StableDiffusionPipelineSafe",
        "StableDiffusionInpaintPipeline",
    ]
    /// The SDXL pipelines this SDK runs (base and Turbo layouts).
    static let supportedXLPipelines: Set<String> = ["StableDiffusionXLPipeline", "StableDiffusionXLImg2ImgPipeline"]

    /// The three neural components.
    struct Components {
        var textEncoder: CLIPTextModel
        var unet: UNet2DConditionModel
        var vae: AutoencoderKL
        /// What the text encoder and UNet were built from, kept to build them again with adapters.
        var textEncoderSource: RecordingWeightSource
        var unetSource: RecordingWeightSource
    }

    /// What `model_index.json` says about the model.
    struct ModelIndex {
        /// `_class_name`.
        var className: String
        /// Whether it is an SDXL pipeline (two text encoders, text-time conditioning).
        var isXL: Bool
        /// `force_zeros_for_empty_prompt` (SDXL pipelines; diffusers' default is true).
        var forceZerosForEmptyPrompt: Bool
        /// `requires_aesthetics_score` (the SDXL refiner: second encoder only, aesthetic-score time ids).
        var isRefiner: Bool
    }

    /// Reads `model_index.json`, refuses pipelines of other architectures (SD3, Flux, …)
    /// and checks that the component folders the architecture needs exist.
    static func checkModelIndex(_ folder: URL) throws(PipelineError) -> ModelIndex {
        let index = folder.appendingPathComponent("model_index.json")
        guard let data = FileManager.default.contents(atPath: index.path) else {
            throw .fileNotFound(path: index.path, what: "model_index.json (is this a diffusers model folder?)")
        }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw .invalidModel(path: index.path, reason: "not a JSON object")
        }
        guard let className = object["_class_name"] as? String else {
            throw .invalidModel(path: index.path, reason: "missing string key \"_class_name\"")
        }
        let isXL = supportedXLPipelines.contains(className)
        guard isXL || supportedPipelines.contains(className) else {
            let supported = supportedPipelines.union(supportedXLPipelines).sorted().joined(separator: ", ")
            throw .invalidModel(path: index.path, reason: "\"_class_name\" is \"\(className)\"; supported: \(supported)")
        }
        let isRefiner = isXL && object["requires_aesthetics_score"] as? Bool == true
        if isXL, !isRefiner, object["text_encoder"].map(isNullComponent) == true {
            throw .invalidModel(path: index.path, reason: "an SDXL pipeline without text_encoder must be a refiner (requires_aesthetics_score: true)")
        }
        let forceZeros = object["force_zeros_for_empty_prompt"] as? Bool ?? true
        let components = isRefiner ? ["tokenizer_2", "text_encoder_2", "unet", "vae", "scheduler"]
            : isXL ? ["tokenizer", "tokenizer_2", "text_encoder", "text_encoder_2", "unet", "vae", "scheduler"]
            : ["tokenizer", "text_encoder", "unet", "vae", "scheduler"]
        for component in components {
            var isDirectory: ObjCBool = false
            let path = folder.appendingPathComponent(component).path
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw .fileNotFound(path: path, what: "\(component)/ folder")
            }
        }
        return ModelIndex(className: className, isXL: isXL, forceZerosForEmptyPrompt: forceZeros, isRefiner: isRefiner)
    }

    /// A `[null, null]` component entry (a component the pipeline does not have).
    private static func isNullComponent(_ value: Any) -> Bool {
        guard let pair = value as? [Any] else { return value is NSNull }
        return pair.allSatisfy { $0 is NSNull }
    }

    /// `scheduler/scheduler_config.json`.
    static func schedulerOptions(_ folder: URL) throws(PipelineError) -> DiffusersSchedulerConfig {
        let url = folder.appendingPathComponent("scheduler/scheduler_config.json")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw .fileNotFound(path: url.path, what: "scheduler config")
        }
        do { return try DiffusersSchedulerConfig(contentsOf: url) } catch { throw .scheduler(error) }
    }

    /// Loads the component folders of a diffusers model.
    static func loadComponents(unetFolder: URL, vaeFolder: URL, textEncoderFolder: URL,
                               options: LoadOptions) throws(PipelineError) -> Components {
        let (textConfiguration, textFile) = try attributing(to: "text encoder") {
            try CLIPTextModel.folderContents(textEncoderFolder, variant: options.variant)
        }
        let textSource = RecordingWeightSource(base: options.storing(textFile))
        let textEncoder = try attributing(to: "text encoder") { try CLIPTextModel(configuration: textConfiguration, weightSource: textSource) }
        let (unetConfiguration, unetFile) = try attributing(to: "UNet") {
            try UNet2DConditionModel.folderContents(unetFolder.path, variant: options.variant)
        }
        let unetSource = RecordingWeightSource(base: options.storing(unetFile))
        let unet = try attributing(to: "UNet") { try UNet2DConditionModel(configuration: unetConfiguration, source: unetSource) }
        let (vaeConfiguration, vaeFile) = try attributing(to: "VAE") { try AutoencoderKL.folderContents(vaeFolder, variant: options.variant) }
        let vae = try buildVAE(vaeConfiguration, source: options.storing(vaeFile), tiling: options.vaeTiling)
        return Components(textEncoder: textEncoder, unet: unet, vae: vae, textEncoderSource: textSource, unetSource: unetSource)
    }

    /// Builds the components from configurations and weight sources (single-file checkpoints),
    /// strictly: each source must be consumed entirely.
    static func buildComponents(unet: (UNetConfiguration, any WeightSource), vae: (AutoencoderKLConfiguration, any WeightSource),
                                textEncoder: (CLIPTextConfiguration, any WeightSource),
                                options: LoadOptions) throws(PipelineError) -> Components {
        let textSource = RecordingWeightSource(base: options.storing(textEncoder.1))
        let unetSource = RecordingWeightSource(base: options.storing(unet.1))
        let text = try attributing(to: "text encoder") { try CLIPTextModel(configuration: textEncoder.0, weightSource: textSource) }
        let model = try attributing(to: "UNet") { try UNet2DConditionModel(configuration: unet.0, source: unetSource) }
        let autoencoder = try buildVAE(vae.0, source: options.storing(vae.1), tiling: options.vaeTiling)
        return Components(textEncoder: text, unet: model, vae: autoencoder, textEncoderSource: textSource, unetSource: unetSource)
    }

    /// An AutoencoderKL from a configuration and its weights, strictly (every tensor used).
    private static func buildVAE(_ configuration: AutoencoderKLConfiguration, source: any WeightSource,
                                 tiling: VAETiling?) throws(PipelineError) -> AutoencoderKL {
        let loader = WeightLoader(source: source)
        return try attributing(to: "VAE") {
            let built = try AutoencoderKL(configuration: configuration, weights: loader.reader(), tiling: tiling)
            try loader.finish()
            return built
        }
    }
}
