import TensorModule
import VAE

/// A preview decoder with no network: each latent pixel's RGB is a fixed linear function of its
/// channels, `rgb = latentᵀ · factors + bias`, then every latent pixel becomes a block of
/// `downsamplingFactor` × `downsamplingFactor` image pixels (nearest neighbour), so a preview has the
/// output's size. About a thousand times cheaper than TAESD, and blurry and off in colour: it shows
/// composition, not detail.
///
/// The factors apply to latents in the diffusion model's scale (what the UNet and the schedulers
/// produce, VAE latents × `scaling_factor`) and give values nominally in [-1, 1], like a VAE decoder.
/// The per-family factors are ComfyUI's `latent_rgb_factors` / `latent_rgb_factors_bias`
/// (`comfy/latent_formats.py`, classes `SD15` and `SDXL`); ComfyUI's `Latent2RGBPreviewer`
/// (`latent_preview.py`) applies them the same way (`F.linear` over channels, then (x + 1) / 2 → bytes).
/// The SD 1.x factors descend from the 4×3 least-squares fit posted by keturn on the Hugging Face forum
/// ("Decoding latents to RGB without upscaling", discuss.huggingface.co/t/23204), which AUTOMATIC1111's
/// `sd_vae_approx.cheap_approximation` uses; ComfyUI refitted them. SD 2.x shares SD 1.x's VAE, so its
/// latent space and factors.
public struct LatentRGBApproximation: LatentDecoding, Hashable {
    /// `factors[l][c]`: the weight of latent channel `l` in colour `c` (R, G, B).
    public var factors: [[Float]]
    /// Added to each colour (R, G, B).
    public var bias: [Float]
    /// Image pixels per latent pixel on each side (the model's VAE downsampling factor).
    public var downsamplingFactor: Int

    /// An approximation from its factors.
    ///
    /// - Parameters:
    ///   - factors: One row of three colour weights per latent channel.
    ///   - bias: Three values, or zeros.
    ///   - downsamplingFactor: Image pixels per latent pixel on each side.
    /// - Precondition: every row has three entries, `bias` has three, the factor is at least 1.
    public init(factors: [[Float]], bias: [Float] = [0, 0, 0], downsamplingFactor: Int = 8) {
        precondition(!factors.isEmpty && factors.allSatisfy { $0.count == 3 } && bias.count == 3 && downsamplingFactor >= 1,
                     "LatentRGBApproximation: rows of 3 factors, 3 biases, factor ≥ 1")
        self.factors = factors
        self.bias = bias
        self.downsamplingFactor = downsamplingFactor
    }

    /// SD 1.x and 2.x: ComfyUI's `SD15.latent_rgb_factors` (no bias).
    public static let stableDiffusion = LatentRGBApproximation(factors: [
        [0.3512, 0.2297, 0.3227],
        [0.3250, 0.4974, 0.2350],
        [-0.2829, 0.1762, 0.2721],
        [-0.2120, -0.2616, -0.7177],
    ])

    /// SDXL: ComfyUI's `SDXL.latent_rgb_factors` and `latent_rgb_factors_bias`.
    public static let stableDiffusionXL = LatentRGBApproximation(factors: [
        [0.3651, 0.4232, 0.4341],
        [-0.2533, -0.0042, 0.1068],
        [0.1076, 0.1111, -0.0362],
        [-0.3165, -0.2492, -0.2188],
    ], bias: [0.1084, -0.0175, -0.0011])

    /// Latent channels the factors are for.
    public var latentChannels: Int { factors.count }

    /// The approximate image of each latent.
    ///
    /// - Parameter latents: `[N, latentChannels, h, w]` in the diffusion model's scale.
    /// - Returns: `[N, 3, h · factor, w · factor]`, nominally in [-1, 1], not clamped.
    /// - Throws: ``VAEError/invalidInput(parameter:shape:expected:)`` for a wrong shape.
    public func decode(latents: Tensor) throws(VAEError) -> Tensor {
        let channels = latentChannels, factor = downsamplingFactor
        guard latents.rank == 4, latents.shape[1] == channels, latents.shape[2] >= 1, latents.shape[3] >= 1 else {
            throw .invalidInput(parameter: "latents", shape: latents.shape, expected: "[N, \(channels), h, w] with h, w ≥ 1")
        }
        let (batch, height, width) = (latents.shape[0], latents.shape[2], latents.shape[3])
        let (outHeight, outWidth) = (height * factor, width * factor)
        let plane = height * width, outPlane = outHeight * outWidth
        var output = [Float](repeating: 0, count: batch * 3 * outPlane)
        let (factors, bias) = (self.factors, self.bias)
        latents.withUnsafeBufferPointer { input in
            for n in 0..<batch {
                for y in 0..<height {
                    for x in 0..<width {
                        for colour in 0..<3 {
                            var value = bias[colour]
                            for l in 0..<channels { value += input[(n * channels + l) * plane + y * width + x] * factors[l][colour] }
                            let base = (n * 3 + colour) * outPlane
                            for dy in 0..<factor {
                                let row = base + (y * factor + dy) * outWidth + x * factor
                                for dx in 0..<factor { output[row + dx] = value }
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: [batch, 3, outHeight, outWidth], scalars: output)
    }
}
