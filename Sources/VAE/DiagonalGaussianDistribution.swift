import Foundation

/// The encoder's posterior, diffusers' `DiagonalGaussianDistribution` (`models/autoencoders/vae.py`):
/// the encoder's moments split along channels into mean and log-variance, the log-variance clamped to
/// [-30, 20].
///
/// Latents here are in the VAE's own scale; multiply by `scaling_factor` for the diffusion model
/// (``VAEEncoder/encode(image:random:)`` does).
public struct DiagonalGaussianDistribution: Sendable {
    /// `[N, C, h, w]`.
    public let mean: Tensor
    /// `[N, C, h, w]`, clamped to [-30, 20].
    public let logVariance: Tensor

    /// Splits encoder moments `[N, 2C, h, w]` (mean channels first).
    ///
    /// - Throws: ``VAEError/invalidInput(parameter:shape:expected:)`` for an odd channel count or a
    ///   rank other than 4.
    public init(moments: Tensor) throws(VAEError) {
        guard moments.rank == 4, moments.shape[1] % 2 == 0, moments.shape[1] > 0 else {
            throw .invalidInput(parameter: "moments", shape: moments.shape, expected: "[N, 2·C, h, w]")
        }
        let halves = try wrappingTensorErrors { () throws(TensorError) in try moments.chunked(2, axis: 1) }
        mean = halves[0]
        logVariance = halves[1].map { Swift.min(Swift.max($0, -30), 20) }
    }

    /// `exp(logVariance / 2)`, as diffusers computes `std = exp(0.5 * logvar)`.
    public var standardDeviation: Tensor { logVariance.map { Foundation.exp(0.5 * $0) } }

    /// `exp(logVariance)`.
    public var variance: Tensor { logVariance.map { Foundation.exp($0) } }

    /// The most likely latents: the mean (diffusers' `mode()`).
    public func mode() -> Tensor { mean }

    /// Draws latents `mean + std · noise`, taking the noise from `random` in one request of the mean's
    /// shape, exactly as diffusers' `sample(generator)` draws `randn_tensor(mean.shape, generator)`: a
    /// torch-compatible source seeded like diffusers' generator reproduces its sample.
    ///
    /// - Parameter random: The noise source; advanced by `mean.count` normal draws.
    /// - Returns: `[N, C, h, w]`.
    /// - Throws: ``VAEError/noiseShapeMismatch(expected:actual:)`` if the source returns another shape.
    public func sample(using random: any RandomSource) throws(VAEError) -> Tensor {
        let noise = random.normal(shape: mean.shape)
        guard noise.shape == mean.shape else { throw .noiseShapeMismatch(expected: mean.shape, actual: noise.shape) }
        let deviation = standardDeviation
        // mean + (std · noise) with two roundings, as torch evaluates it.
        let scaledNoise = try wrappingTensorErrors { () throws(TensorError) in
            try deviation.broadcasting(noise, operation: "posterior sample") { $0 * $1 }
        }
        return try wrappingTensorErrors { () throws(TensorError) in
            try mean.broadcasting(scaledNoise, operation: "posterior sample") { $0 + $1 }
        }
    }
}
