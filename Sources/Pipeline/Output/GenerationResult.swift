import TensorModule

/// What a generation produced.
public struct GenerationResult: Sendable {
    /// The images, one per requested image.
    public var images: [RGBImage]
    /// The final latents before VAE decoding (diffusers' `output_type="latent"`).
    public var latents: Tensor
    /// The seed the random source was created with (the given one, or the one drawn).
    public var seed: UInt64
    /// Timings and memory.
    public var statistics: GenerationStatistics
    /// The generation parameters in the text format AUTOMATIC1111's web UI writes into PNGs
    /// (`parameters` chunk), which existing tools read.
    public var parametersText: String
}

/// Timings and resources of one generation, as `sd generate --stats-json` writes them.
public struct GenerationStatistics: Sendable, Codable, Equatable {
    /// Seconds to load the model (the pipeline's load time).
    public var loadSeconds: Double
    /// Seconds to tokenize and encode the prompts.
    public var textEncodeSeconds: Double
    /// Seconds of each denoising step.
    public var stepSeconds: [Double]
    /// Seconds to decode the latents.
    public var decodeSeconds: Double
    /// Seconds from the start of the generation to the images (load excluded).
    public var totalSeconds: Double
    /// Peak resident memory of the process so far, in bytes.
    public var peakRSSBytes: Int
    /// The OpenBLAS kernel in use.
    public var blasCore: String
    /// Compute threads.
    public var threads: Int
    /// Image width.
    public var width: Int
    /// Image height.
    public var height: Int
    /// Steps run.
    public var steps: Int

    enum CodingKeys: String, CodingKey {
        case loadSeconds = "load_seconds", textEncodeSeconds = "text_encode_seconds", stepSeconds = "step_seconds"
        case decodeSeconds = "decode_seconds", totalSeconds = "total_seconds", peakRSSBytes = "peak_rss_bytes"
        case blasCore = "blas_core", threads, width, height, steps
    }
}
