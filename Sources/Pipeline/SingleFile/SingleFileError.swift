import TensorModule

/// Errors of reading a single-file checkpoint (original LDM / A1111 layout). Each message names the
/// file and, where one is at fault, the tensor key or config key.
public enum SingleFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The checkpoint file does not exist.
    case fileNotFound(path: String)
    /// A pickle (`.ckpt`, `.pt`, `.pth`, `.bin`) checkpoint. These are never unpickled: unpickling runs
    /// arbitrary code from the file.
    case pickleCheckpoint(path: String)
    /// The file could not be opened or is not a valid safetensors file (truncated, malformed header, …).
    case unreadableFile(path: String, underlying: TensorError)
    /// The checkpoint is a model this SDK does not run (SD 3, Flux, InstructPix2Pix, …); `evidence` names the key
    /// or shape it was recognised by.
    case unsupportedArchitecture(path: String, architecture: String, evidence: String)
    /// One of the three components (UNet, VAE, text encoder) has no tensors in the file; `found`
    /// summarises what the file holds.
    case missingComponent(path: String, component: SingleFileComponent, expectedKey: String, found: String)
    /// The parts of the checkpoint do not fit together (e.g. cross-attention width ≠ text width).
    case inconsistentCheckpoint(path: String, reason: String)
    /// A tensor the component needs is absent. `key` is the checkpoint's own name; `componentKey` is the
    /// diffusers / transformers name it would have been loaded as.
    case missingTensor(path: String, key: String, component: SingleFileComponent, componentKey: String)
    /// A tensor has a shape the mapping cannot use (e.g. a fused q/k/v projection not divisible by 3).
    case invalidTensorShape(path: String, key: String, shape: [Int], reason: String)
    /// A tensor a component needs is stored in a type the SDK cannot read as Float32 (integers, 8-bit floats).
    case unsupportedDType(path: String, key: String, dtype: String)
    /// Tensors in the file that no component consumes and that are not known to be ignorable.
    case unexpectedTensors(path: String, keys: [String])
    /// A model folder's config file (for the `config` route) is missing, malformed or unsupported.
    case invalidConfig(path: String, key: String?, reason: String)

    /// A one-line explanation naming the file and key at fault.
    public var description: String { unescapedDescription.escapingControlCharacters }

    /// The message before control characters in quoted names are escaped.
    private var unescapedDescription: String {
        switch self {
        case .fileNotFound(let path):
            return "checkpoint not found at \(path)"
        case .pickleCheckpoint(let path):
            return "\(path) is a pickle checkpoint (.ckpt/.pt/.bin); pickles can run arbitrary code and are not loaded. "
                + "Convert it to .safetensors first (e.g. with the safetensors convert tool) or use the .safetensors release"
        case .unreadableFile(let path, let underlying):
            return "\(path) is not a readable safetensors checkpoint: \(underlying)"
        case .unsupportedArchitecture(let path, let architecture, let evidence):
            return "\(path) is a \(architecture) checkpoint (recognised by \(evidence)); only Stable Diffusion 1.x, 2.x and XL "
                + "text-to-image checkpoints (4 latent input channels) are supported"
        case .missingComponent(let path, let component, let expectedKey, let found):
            return "\(path) has no \(component.displayName) (expected '\(expectedKey)'); the file holds: \(found)"
        case .inconsistentCheckpoint(let path, let reason):
            return "\(path): inconsistent checkpoint: \(reason)"
        case .missingTensor(let path, let key, let component, let componentKey):
            return "\(path): missing tensor '\(key)' (the \(component.displayName)'s '\(componentKey)')"
        case .invalidTensorShape(let path, let key, let shape, let reason):
            return "\(path): tensor '\(key)' has shape \(shape): \(reason)"
        case .unsupportedDType(let path, let key, let dtype):
            return "\(path): tensor '\(key)' is stored as \(dtype); weights must be F32, F16, BF16 or F64"
        case .unexpectedTensors(let path, let keys):
            let shown = keys.prefix(5).map { "'\($0)'" }.joined(separator: ", ")
            return "\(path): \(keys.count) tensor\(keys.count == 1 ? "" : "s") no component uses: \(shown)\(keys.count > 5 ? ", …" : "")"
        case .invalidConfig(let path, let key, let reason):
            return "\(path)\(key.map { ", key '\($0)'" } ?? ""): \(reason)"
        }
    }
}
