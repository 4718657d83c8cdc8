/// The model components a single-file checkpoint holds, each loaded through its own weight source.
public enum SingleFileComponent: String, Sendable, CaseIterable, Hashable {
    /// The denoising UNet (`model.diffusion_model.` in the checkpoint).
    case unet
    /// The autoencoder (`first_stage_model.`).
    case vae
    /// The CLIP / OpenCLIP text model (`cond_stage_model.`; SDXL: `conditioner.embedders.0.`, the
    /// refiner's OpenCLIP included).
    case textEncoder = "text_encoder"
    /// SDXL base's second text model, OpenCLIP ViT-bigG with its projection (`conditioner.embedders.1.model.`).
    case textEncoder2 = "text_encoder_2"
    /// A ControlNet in its own file (`control_model.` in the original layout, or no prefix).
    case controlNet = "controlnet"

    /// The components of a Stable Diffusion checkpoint (a ControlNet comes in a file of its own).
    public static let checkpointComponents: [SingleFileComponent] = [.unet, .vae, .textEncoder]

    /// A name for messages ("UNet", "VAE", "text encoder").
    public var displayName: String {
        switch self {
        case .unet: return "UNet"
        case .vae: return "VAE"
        case .textEncoder: return "text encoder"
        case .textEncoder2: return "text encoder 2"
        case .controlNet: return "ControlNet"
        }
    }

    /// The key prefix of the component in the original LDM layout.
    var checkpointPrefix: String {
        switch self {
        case .unet: return "model.diffusion_model."
        case .vae: return "first_stage_model."
        case .textEncoder: return "cond_stage_model."
        case .textEncoder2: return "conditioner.embedders.1.model."
        case .controlNet: return "control_model."
        }
    }
}

/// The Stable Diffusion generation a single-file checkpoint belongs to.
public enum SingleFileFamily: String, Sendable, CaseIterable, Hashable, CustomStringConvertible {
    /// SD 1.x (1.4, 1.5 and fine-tunes): OpenAI CLIP ViT-L/14 text encoder under
    /// `cond_stage_model.transformer.`.
    case stableDiffusion1 = "SD 1.x"
    /// SD 2.x (2.0, 2.1, their 512 "base" variants, SD-Turbo): OpenCLIP ViT-H/14 text encoder under
    /// `cond_stage_model.model.`.
    case stableDiffusion2 = "SD 2.x"
    /// SDXL base (and Turbo, which shares the structure): CLIP ViT-L under
    /// `conditioner.embedders.0.transformer.` and OpenCLIP ViT-bigG under `conditioner.embedders.1.model.`.
    case stableDiffusionXL = "SDXL"
    /// The SDXL refiner: OpenCLIP ViT-bigG alone, under `conditioner.embedders.0.model.`.
    case stableDiffusionXLRefiner = "SDXL refiner"

    /// Whether the checkpoint is SDXL (base or refiner).
    public var isXL: Bool { self == .stableDiffusionXL || self == .stableDiffusionXLRefiner }

    /// "SD 1.x", "SD 2.x", "SDXL" or "SDXL refiner".
    public var description: String { rawValue }
}
