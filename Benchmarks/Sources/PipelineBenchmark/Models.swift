import BenchmarkSupport
import Foundation
import StableDiffusion

/// Where the benchmark's SD 1.5 components come from: random weights in the published architecture
/// (no download; kept in `precision`, as an fp16 or fp32 checkpoint would be), or a diffusers folder
/// on disk read with a given residency.
enum ModelOrigin {
    case random(StoredPrecision)
    case folder(URL, WeightResidency)

    var description: String {
        switch self {
        case .random(let precision): return "random weights kept in \(precision.rawValue)"
        case .folder(let url, let residency): return "\(url.path) (\(residency == .memoryMapped ? "memory-mapped" : "copied into memory"))"
        }
    }

    /// The random weight source, for models this benchmark has no folder layout for.
    func randomSource(for model: String) throws -> any WeightSource {
        guard case .random(let precision) = self else { throw UsageError("\(model) items build random weights; drop --model-folder") }
        return RandomWeightSource(seed: 0, precision: precision)
    }

    /// A weight source for one component (`unet`, `vae`, `text_encoder`).
    func source(_ component: String) throws -> any WeightSource {
        switch self {
        case .random(let precision):
            return RandomWeightSource(seed: 0, precision: precision)
        case .folder(let url, let residency):
            let folder = url.appendingPathComponent(component)
            let stem = component == "text_encoder" ? "model" : "diffusion_pytorch_model"
            let candidates = ["\(stem).safetensors", "\(stem).fp16.safetensors"].map { folder.appendingPathComponent($0).path }
            guard let path = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
                throw UsageError("no \(stem)[.fp16].safetensors in \(folder.path)")
            }
            return try SafetensorsWeightSource(path: path, residency: residency)
        }
    }
}

/// The components, built on first use and kept for the items that follow.
final class Models {
    let origin: ModelOrigin
    private(set) var unetSource: CountingSource?
    private var cachedUNet: UNet2DConditionModel?
    private var cachedTextEncoder: CLIPTextModel?
    private var cachedAutoencoder: AutoencoderKL?
    private var cachedDecoder: VAEDecoder?
    private var cachedXLUNet: UNet2DConditionModel?
    private var cachedXLTextEncoders: (CLIPTextModel, CLIPTextModel)?

    init(origin: ModelOrigin) { self.origin = origin }

    /// SDXL base's UNet (`UNetConfiguration.sdxl`, 2.6 G parameters), random weights kept in the origin's
    /// precision (random origins only: no SDXL folder layout here).
    func xlUNet() throws -> UNet2DConditionModel {
        if let cachedXLUNet { return cachedXLUNet }
        let source = try origin.randomSource(for: "SDXL")
        let model = try built("SDXL UNet") { try UNet2DConditionModel(configuration: .sdxl, source: source) }
        cachedXLUNet = model
        return model
    }

    /// SDXL base's two text encoders: CLIP ViT-L (as SD 1.5's) and OpenCLIP ViT-bigG with its projection.
    func xlTextEncoders() throws -> (CLIPTextModel, CLIPTextModel) {
        if let cachedXLTextEncoders { return cachedXLTextEncoders }
        let first = try built("SDXL text encoder 1") {
            try CLIPTextModel(configuration: .sd15, weightSource: try origin.randomSource(for: "SDXL"))
        }
        let second = try built("SDXL text encoder 2") {
            try CLIPTextModel(configuration: .sdxlEncoder2, weightSource: try origin.randomSource(for: "SDXL"))
        }
        cachedXLTextEncoders = (first, second)
        return (first, second)
    }

    /// An SDXL base text-to-image pipeline on these components, with SDXL's published scheduler (Euler)
    /// and VAE (SD's architecture, `scaling_factor` 0.13025, `sample_size` 1024).
    func xlPipeline() throws -> StableDiffusionPipeline {
        let scheduler = """
            {"_class_name": "EulerDiscreteScheduler", "beta_end": 0.012, "beta_schedule": "scaled_linear",
             "beta_start": 0.00085, "clip_sample": false, "interpolation_type": "linear", "num_train_timesteps": 1000,
             "prediction_type": "epsilon", "sample_max_value": 1.0, "set_alpha_to_one": false, "skip_prk_steps": true,
             "steps_offset": 1, "timestep_spacing": "leading", "trained_betas": null, "use_karras_sigmas": false}
            """
        let (first, second) = try xlTextEncoders()
        let conditioner = SDXLPromptConditioner(
            tokenizer: try CLIPTokenizer.bundled(), textEncoder: first,
            tokenizer2: try CLIPTokenizer.bundled(padding: .exclamationMark), textEncoder2: second)
        let configuration = AutoencoderKLConfiguration(sampleSize: 1024, scalingFactor: 0.13025)
        let vae = try built("SDXL VAE") {
            try AutoencoderKL(configuration: configuration, weights: WeightLoader(source: try origin.randomSource(for: "SDXL")).reader())
        }
        return try StableDiffusionPipeline(
            family: .stableDiffusionXL, conditioner: conditioner, noisePredictor: try xlUNet(), decoder: vae, encoder: vae,
            schedulerOptions: try DiffusersSchedulerConfig(jsonData: Data(scheduler.utf8)), defaultImageSize: 1024,
            modelName: "sdxl-random")
    }

    func unet() throws -> UNet2DConditionModel {
        if let cachedUNet { return cachedUNet }
        let source = CountingSource(try origin.source("unet"))
        let model = try built("UNet") { try UNet2DConditionModel(configuration: .sd15, source: source) }
        unetSource = source
        cachedUNet = model
        return model
    }

    func textEncoder() throws -> CLIPTextModel {
        if let cachedTextEncoder { return cachedTextEncoder }
        let source = try origin.source("text_encoder")
        let model = try built("text encoder") { try CLIPTextModel(configuration: .sd15, weightSource: source) }
        cachedTextEncoder = model
        return model
    }

    /// The decoder alone (as `VAEBenchmark` and diffusers' `reference/vae.py` measure it).
    func decoder() throws -> VAEDecoder {
        if let cachedDecoder { return cachedDecoder }
        let loader = WeightLoader(source: try origin.source("vae"))
        let model = try built("VAE decoder") { try VAEDecoder(configuration: .sd15, weights: loader.reader()) }
        cachedDecoder = model
        return model
    }

    /// The whole VAE (encoder too), as a pipeline holds it.
    func autoencoder() throws -> AutoencoderKL {
        if let cachedAutoencoder { return cachedAutoencoder }
        let loader = WeightLoader(source: try origin.source("vae"))
        let model = try built("VAE") { try AutoencoderKL(configuration: .sd15, weights: loader.reader()) }
        cachedAutoencoder = model
        return model
    }

    /// A full text-to-image pipeline on these components, with SD 1.5's published scheduler (PNDM).
    func pipeline() throws -> StableDiffusionPipeline {
        let scheduler = """
            {"_class_name": "PNDMScheduler", "beta_end": 0.012, "beta_schedule": "scaled_linear", "beta_start": 0.00085,
             "clip_sample": false, "num_train_timesteps": 1000, "set_alpha_to_one": false, "skip_prk_steps": true,
             "steps_offset": 1, "trained_betas": null}
            """
        let vae = try autoencoder()
        return try StableDiffusionPipeline(
            tokenizer: try CLIPTokenizer.bundled(), textEncoder: try textEncoder(), noisePredictor: try unet(),
            decoder: vae, encoder: vae, schedulerOptions: try DiffusersSchedulerConfig(jsonData: Data(scheduler.utf8)))
    }

    private func built<Model>(_ name: String, _ body: () throws -> Model) throws -> Model {
        var model: Model?
        let time = try Measure.seconds { model = try body() }
        log("built \(name) from \(origin.description) in \(format(time, 2)) s; resident \(format(Measure.residentMiB(), 0)) MiB")
        return model!
    }
}

/// Progress and notes, on standard error so that standard output stays the results.
func log(_ message: String) {
    FileHandle.standardError.write(Data("  \(message)\n".utf8))
}
