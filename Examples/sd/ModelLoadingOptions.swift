import ArgumentParser
import StableDiffusion

/// The options `sd generate`, `sd serve` and `sd worker` share for loading a model and running it: one
/// declaration, so their spelling and meaning cannot drift apart between the commands.
struct ModelLoadingOptions: ParsableArguments {
    @Option(name: .long, help: "For a single-file checkpoint: a diffusers folder whose configs, tokenizer and scheduler to use.")
    var config: String?
    @Option(name: .long, help: "For a diffusers folder: read this weight-file variant (fp16: the *.fp16.safetensors files, half the memory of the fp32 ones).")
    var variant: String?
    @Option(name: .customLong("weights-precision"), help: "Keep float32 checkpoint weights as fp16 or bf16 in memory (half the memory; computation stays float32, results are those of the 16-bit weights). fp32: as stored.")
    var weightsPrecision: WeightsPrecisionArgument?
    @Option(name: .long, help: "Compute threads (default: all cores).")
    var threads: Int?
    @Flag(name: .long, help: "Decode in overlapping tiles (bounded memory for large images).")
    var vaeTiling = false

    func validate() throws {
        if let variant, variant.isEmpty || variant.contains("/") { throw ValidationError("--variant must be a variant name such as fp16") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    /// Checks what depends on the model path: a variant names files of a folder.
    func validate(model: String?) throws {
        if variant != nil, model?.hasSuffix(".safetensors") == true {
            throw ValidationError("--variant applies to a diffusers folder, not to a single-file checkpoint")
        }
    }

    /// Sets the compute thread count, when given.
    func applyThreads() {
        if let threads { ComputeConfiguration.threads = threads }
    }

    /// The load options for the main model (`vae`: a replacement VAE, `sd generate --vae`).
    func loadOptions(vae: String? = nil) -> LoadOptions {
        LoadOptions(variant: variant, configFolder: config, vaeTiling: tiling, vae: vae,
                    weightsPrecision: weightsPrecision?.storedPrecision)
    }

    /// The load options for a second model loaded beside it (`--refiner`): its own files, so no
    /// variant or config folder, but the same precision and tiling.
    func companionLoadOptions() -> LoadOptions {
        LoadOptions(vaeTiling: tiling, weightsPrecision: weightsPrecision?.storedPrecision)
    }

    private var tiling: VAETiling? { vaeTiling ? VAETiling(tileSize: 512) : nil }
}
