import Schedulers
import TensorModule
import TextEncoder
import Tokenizer
import UNet
import VAE

/// Errors of the pipeline: loading a model, checking generation parameters, running components,
/// images. Each message says what is wrong and where (file, key, parameter and its allowed range).
public enum PipelineError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A file or folder the pipeline needs does not exist.
    case fileNotFound(path: String, what: String)
    /// A model folder or file is not something the pipeline can load.
    case invalidModel(path: String, reason: String)
    /// A PNG could not be decoded or encoded.
    case invalidPNG(path: String, reason: String)
    /// An output file could not be written.
    case fileUnwritable(path: String, reason: String)
    /// A tensor that should be an image batch `[N, 3, H, W]` is not.
    case invalidImageTensor(shape: [Int])
    /// A generation parameter is out of range.
    case invalidParameter(name: String, value: String, allowed: String)
    /// Image-to-image was requested from a pipeline without a latent encoder.
    case imageToImageUnavailable
    /// An inpainting mask cannot be used: empty, all black (nothing to repaint), or not the init
    /// image's size.
    case invalidMask(source: String, reason: String)
    /// A mask was given without an init image to repaint.
    case maskWithoutInitImage
    /// The model is an inpainting model (its UNet takes a mask and masked-image latents) and was asked
    /// to generate without a mask.
    case inpaintingModelNeedsMask(model: String)
    /// A ControlNet was made for another base model (SD 2.x on SD 1.x, SDXL, another latent size).
    case incompatibleControlNet(name: String, reason: String)
    /// A replacement VAE whose latents have another channel count than the model's (an SD3 / Flux
    /// VAE with 16 channels for a 4-channel SD model, …).
    case vaeLatentChannelsMismatch(path: String, vaeChannels: Int, modelChannels: Int)
    /// A replacement VAE made for another model family's latent space (recognised by its
    /// `scaling_factor`: an SDXL VAE, 0.13025, on an SD 1.x model, 0.18215, or the reverse).
    case vaeFamilyMismatch(path: String, vaeFamily: String, modelFamily: String, evidence: String)
    /// The generation was cancelled (Swift task cancellation).
    case cancelled
    /// An error from the tokenizer.
    case tokenizer(TokenizerError)
    /// An error from the text encoder.
    case textEncoder(TextEncoderError)
    /// An error from the UNet.
    case unet(UNetError)
    /// An error from the VAE.
    case vae(VAEError)
    /// An error from a scheduler or its configuration.
    case scheduler(SchedulerError)
    /// An error reading a single-file checkpoint.
    case singleFile(SingleFileError)
    /// An error from the tensor engine (shapes, files, weights).
    case tensor(TensorError)
    /// An error reading or applying a LoRA or textual-inversion file.
    case adapter(AdapterError)
    /// An error thrown by an app-supplied component.
    case component(name: String, message: String)

    /// A one-line explanation.
    public var description: String { unescapedDescription.escapingControlCharacters }

    /// The message before control characters in quoted names are escaped.
    private var unescapedDescription: String {
        switch self {
        case .fileNotFound(let path, let what): return "\(what) not found at \(path)"
        case .invalidModel(let path, let reason): return "\(path): \(reason)"
        case .invalidPNG(let path, let reason): return "\(path): invalid PNG: \(reason)"
        case .fileUnwritable(let path, let reason): return "cannot write \(path): \(reason)"
        case .invalidImageTensor(let shape): return "expected an image tensor [N, 3, H, W], got \(shape)"
        case .invalidParameter(let name, let value, let allowed): return "invalid \(name) \(value): expected \(allowed)"
        case .imageToImageUnavailable: return "image-to-image needs a VAE encoder, and this pipeline has none"
        case .invalidMask(let source, let reason): return "\(source): invalid inpainting mask: \(reason)"
        case .maskWithoutInitImage: return "a mask image was given without an init image; inpainting needs both"
        case .inpaintingModelNeedsMask(let model):
            return "\(model) is an inpainting model (its UNet takes 9 input channels); give an init image and a mask image"
        case .incompatibleControlNet(let name, let reason): return "ControlNet \(name) cannot guide this model: \(reason)"
        case .vaeLatentChannelsMismatch(let path, let vaeChannels, let modelChannels):
            return "\(path): the VAE has \(vaeChannels) latent channels; the model's latents have \(modelChannels)"
        case .vaeFamilyMismatch(let path, let vaeFamily, let modelFamily, let evidence):
            return "\(path): this VAE is for \(vaeFamily) models (\(evidence)); the model is \(modelFamily), whose latent space differs"
        case .cancelled: return "generation cancelled"
        case .tokenizer(let error): return error.description
        case .textEncoder(let error): return error.description
        case .unet(let error): return error.description
        case .vae(let error): return error.description
        case .scheduler(let error): return error.description
        case .singleFile(let error): return error.description
        case .tensor(let error): return error.description
        case .adapter(let error): return error.description
        case .component(let name, let message): return "\(name): \(message)"
        }
    }

    /// Wraps an error thrown by a component (built-in errors keep their own case).
    static func wrapping(_ error: any Error, component: String) -> PipelineError {
        switch error {
        case let error as PipelineError: return error
        case let error as TokenizerError: return .tokenizer(error)
        case let error as TextEncoderError: return .textEncoder(error)
        case let error as UNetError: return .unet(error)
        case let error as VAEError: return .vae(error)
        case let error as SchedulerError: return .scheduler(error)
        case let error as SingleFileError: return .singleFile(error)
        case let error as TensorError: return .tensor(error)
        case let error as AdapterError: return .adapter(error)
        case is CancellationError: return .cancelled
        default: return .component(name: component, message: String(describing: error))
        }
    }
}

/// Runs `body`, turning any error into a ``PipelineError`` attributed to `component`.
func attributing<T>(to component: String, _ body: () throws -> T) throws(PipelineError) -> T {
    do { return try body() } catch { throw PipelineError.wrapping(error, component: component) }
}
