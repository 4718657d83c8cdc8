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

    /// Options with every default.
    public init(variant: String? = nil, configFolder: String? = nil, vaeTiling: VAETiling? = nil, vae: String? = nil) {
        self.variant = variant
        self.configFolder = configFolder
        self.vaeTiling = vaeTiling
        self.vae = vae
    }
}
