import Foundation
import Layers

/// The decoding half of diffusers' `AutoencoderTiny` (TAESD): `DecoderTiny` (`models/autoencoders/vae.py`)
/// — `tanh(x / 3) · 3` on the latents, a 3×3 convolution to the first level's width and the activation,
/// then per level its ``TinyBlock``s, nearest upsampling and a 3×3 convolution without bias (the last
/// level: no upsampling, a convolution with bias to `out_channels`), and `x · 2 − 1` at the end (TAESD
/// produces images in [0, 1]).
///
/// Checkpoint keys: `decoder.layers.N`, the indices of diffusers' `nn.Sequential` (activations and
/// upsampling layers take an index and have no weights). Not supported: tiling and slicing.
public struct TinyDecoder: LatentDecoding {
    /// The model's configuration.
    public let configuration: AutoencoderTinyConfiguration

    /// One entry of the `nn.Sequential`.
    enum Layer: Sendable {
        case convolution(Conv2D)
        case activation(TinyActivation)
        case block(TinyBlock)
        case upsample(Int)
    }

    let layers: [Layer]

    /// Builds the decoder from weights under diffusers' names.
    ///
    /// - Parameters:
    ///   - configuration: The model's configuration (validated here).
    ///   - weights: Reader at the root of the checkpoint (it reads `decoder.layers`).
    /// - Throws: ``VAEError/invalidConfiguration(key:value:reason:)``, or ``VAEError/tensor(_:)`` for a
    ///   missing or misshapen weight.
    public init(configuration: AutoencoderTinyConfiguration, weights: WeightReader) throws(VAEError) {
        try configuration.validate()
        self.configuration = configuration
        let reader = weights.scoped("decoder").scoped("layers")
        let activation = TinyActivation(configuration.activation)
        let widths = configuration.decoderBlockOutChannels
        var layers: [Layer] = []
        func add(_ make: (WeightReader) throws(TensorError) -> Layer) throws(VAEError) {
            let index = layers.count
            layers.append(try wrappingTensorErrors { () throws(TensorError) in try make(reader.scoped("\(index)")) })
        }
        try add { (w) throws(TensorError) in
            .convolution(try Conv2D(weights: w, inChannels: configuration.latentChannels, outChannels: widths[0],
                                    kernelSize: 3, padding: .uniform(1)))
        }
        try add { _ in .activation(activation) }
        for (level, width) in widths.enumerated() {
            let isLast = level == widths.count - 1
            for _ in 0..<configuration.decoderBlockCounts[level] {
                try add { (w) throws(TensorError) in .block(try TinyBlock(weights: w, channels: width, activation: activation)) }
            }
            if !isLast { try add { _ in .upsample(configuration.upsamplingFactor) } }
            try add { (w) throws(TensorError) in
                .convolution(try Conv2D(weights: w, inChannels: width, outChannels: isLast ? configuration.outChannels : width,
                                        kernelSize: 3, padding: .uniform(1), bias: isLast))
            }
        }
        self.layers = layers
    }

    /// Channels of the latents (`latent_channels`).
    public var latentChannels: Int { configuration.latentChannels }
    /// 8 for TAESD.
    public var downsamplingFactor: Int { configuration.downsamplingFactor }

    /// Decodes latents in the diffusion model's scale: divides by `scaling_factor` (1 for TAESD, so
    /// the latents are used as they are), then decodes, as diffusers' pipelines do.
    ///
    /// - Parameter latents: `[N, latent_channels, h, w]`.
    /// - Returns: `[N, out_channels, h · 8, w · 8]`, nominally in [-1, 1], not clamped.
    /// - Throws: ``VAEError/invalidInput(parameter:shape:expected:)`` for a wrong shape, ``VAEError/tensor(_:)``.
    public func decode(latents: Tensor) throws(VAEError) -> Tensor {
        let factor = Float(configuration.scalingFactor)
        // diffusers divides by the factor even when it is 1; x / 1 is exact, so skipping it is too.
        return try decode(unscaledLatents: factor == 1 ? latents : latents.map { $0 / factor })
    }

    /// Decodes latents in the model's own scale (diffusers' `vae.decode(z).sample`).
    ///
    /// - Parameter unscaledLatents: `[N, latent_channels, h, w]`.
    /// - Returns: `[N, out_channels, h · 8, w · 8]`, not clamped.
    /// - Throws: As ``decode(latents:)``.
    public func decode(unscaledLatents latents: Tensor) throws(VAEError) -> Tensor {
        guard latents.rank == 4, latents.shape[0] >= 1, latents.shape[1] == latentChannels,
              latents.shape[2] >= 1, latents.shape[3] >= 1 else {
            throw .invalidInput(parameter: "latents", shape: latents.shape, expected: "[N, \(latentChannels), h, w] with N, h, w ≥ 1")
        }
        return try wrappingTensorErrors { () throws(TensorError) in
            // torch.tanh(x / 3) * 3: three roundings, in torch's order.
            var hidden = latents.map { Foundation.tanh($0 / 3) * 3 }
            for layer in layers {
                switch layer {
                case .convolution(let conv): hidden = try conv(hidden)
                case .activation(let activation): hidden = activation(hidden)
                case .block(let block): hidden = try block(hidden)
                case .upsample(let factor):
                    hidden = try hidden.upsampleNearest(height: hidden.shape[2] * factor, width: hidden.shape[3] * factor)
                }
            }
            return hidden.map { $0 * 2 - 1 }
        }
    }
}
