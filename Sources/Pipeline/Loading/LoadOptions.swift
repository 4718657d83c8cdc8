import TensorModule
import VAE

/// How to load a model. Separate from ``GenerationParameters``: these fix the pipeline value.
public struct LoadOptions: Sendable {
    /// The weight file variant: nil reads the plain files (`diffusion_pytorch_model.safetensors`,
    /// `model.safetensors`), or the `.fp16.safetensors` files where those are the only ones; "fp16"
    /// reads the fp16 variant files.
    public var variant: String?
    /// For a single-file checkpoint: a diffusers folder whose component configs, tokenizer and
    /// scheduler to use (diffusers' `from_single_file(config=)`); nil uses the published SD 1.5 / 2.1 / SDXL
    /// configurations and the bundled CLIP vocabulary.
    public var configFolder: String?
    /// Decode (and encode) in overlapping tiles with bounded memory; nil decodes whole images.
    public var vaeTiling: VAETiling?
    /// A VAE to use instead of the model's own (CLI `--vae`): an AutoencoderKL or AutoencoderTiny
    /// (TAESD) folder, or a single `.safetensors` VAE. Loading the model then returns
    /// ``StableDiffusionPipeline/replacingVAE(contentsOf:variant:tiling:)`` of it (folder weights: the
    /// plain file, or the fp16 one when it is the only one); see Documentation/VAE.md.
    public var vae: String?
    /// The precision float32 checkpoint weights are kept in while the model is loaded: nil (or
    /// `.float32`) keeps them as stored; `.float16` / `.bfloat16` round them to 16 bits at load, one
    /// tensor at a time, for half the memory of an fp32 folder or file (CLI `--weights-precision`).
    /// Computation stays float32; results are then exactly those of the same weights saved in 16 bits
    /// (see ``NarrowingWeightSource``). Weights already stored in 16 bits are kept as they are. Applies
    /// to the text encoders, the UNet and the VAE of the model (not to a `vae` replacement or ControlNets).
    public var weightsPrecision: StoredPrecision?

    /// Options with every default.
    public init(variant: String? = nil, configFolder: String? = nil, vaeTiling: VAETiling? = nil, vae: String? = nil,
                weightsPrecision: StoredPrecision? = nil) {
        self.variant = variant
        self.configFolder = configFolder
        self.vaeTiling = vaeTiling
        self.vae = vae
        self.weightsPrecision = weightsPrecision
    }

    /// `source` as the model should keep it: wrapped in a ``NarrowingWeightSource`` when
    /// ``weightsPrecision`` asks for 16 bits.
    func storing(_ source: any WeightSource) -> any WeightSource {
        guard let precision = weightsPrecision, precision != .float32 else { return source }
        return NarrowingWeightSource(base: source, precision: precision)
    }
}
