import Layers

/// The encoding half of diffusers' `AutoencoderTiny` (TAESD): `EncoderTiny` (`models/autoencoders/vae.py`)
/// — `(x + 1) / 2` on the image (TAESD reads images in [0, 1]), then per level a 3×3 convolution (the
/// first from the image channels with bias; the others stride 2, padding 1, no bias) and its
/// ``TinyBlock``s, and a 3×3 convolution to the latents.
///
/// There is no posterior: the output is the latents, and encoding draws no random numbers, so in
/// image-to-image the generator's first draw is the added noise (diffusers' `retrieve_latents` returns
/// `.latents` for this model).
///
/// Checkpoint keys: `encoder.layers.N`, the indices of diffusers' `nn.Sequential`.
public struct TinyEncoder: LatentEncoding {
    /// The model's configuration.
    public let configuration: AutoencoderTinyConfiguration

    enum Layer: Sendable {
        case convolution(Conv2D)
        case block(TinyBlock)
    }

    let layers: [Layer]

    /// Builds the encoder from weights under diffusers' names.
    ///
    /// - Parameters:
    ///   - configuration: The model's configuration (validated here).
    ///   - weights: Reader at the root of the checkpoint (it reads `encoder.layers`).
    /// - Throws: ``VAEError/invalidConfiguration(key:value:reason:)``, or ``VAEError/tensor(_:)`` for a
    ///   missing or misshapen weight.
    public init(configuration: AutoencoderTinyConfiguration, weights: WeightReader) throws(VAEError) {
        try configuration.validate()
        self.configuration = configuration
        let reader = weights.scoped("encoder").scoped("layers")
        let activation = TinyActivation(configuration.activation)
        let widths = configuration.encoderBlockOutChannels
        var layers: [Layer] = []
        func add(_ make: (WeightReader) throws(TensorError) -> Layer) throws(VAEError) {
            let index = layers.count
            layers.append(try wrappingTensorErrors { () throws(TensorError) in try make(reader.scoped("\(index)")) })
        }
        for (level, width) in widths.enumerated() {
            try add { (w) throws(TensorError) in
                level == 0
                    ? .convolution(try Conv2D(weights: w, inChannels: configuration.inChannels, outChannels: width,
                                              kernelSize: 3, padding: .uniform(1)))
                    : .convolution(try Conv2D(weights: w, inChannels: width, outChannels: width, kernelSize: 3,
                                              stride: 2, padding: .uniform(1), bias: false))
            }
            for _ in 0..<configuration.encoderBlockCounts[level] {
                try add { (w) throws(TensorError) in .block(try TinyBlock(weights: w, channels: width, activation: activation)) }
            }
        }
        try add { (w) throws(TensorError) in
            .convolution(try Conv2D(weights: w, inChannels: widths[widths.count - 1], outChannels: configuration.latentChannels,
                                    kernelSize: 3, padding: .uniform(1)))
        }
        self.layers = layers
    }

    /// Channels of the latents (`latent_channels`).
    public var latentChannels: Int { configuration.latentChannels }
    /// 2^(levels − 1): 8 for TAESD.
    public var downsamplingFactor: Int { 1 << max(0, configuration.encoderBlockOutChannels.count - 1) }

    /// Encodes images into latents in the model's own scale (diffusers' `vae.encode(x).latents`).
    ///
    /// - Parameter image: `[N, in_channels, H, W]` in [-1, 1].
    /// - Returns: `[N, latent_channels, ⌈H/8⌉, ⌈W/8⌉]` for TAESD (stride-2 convolutions with padding 1).
    /// - Throws: ``VAEError/invalidInput(parameter:shape:expected:)`` for a wrong shape, ``VAEError/tensor(_:)``.
    public func encode(unscaledImage image: Tensor) throws(VAEError) -> Tensor {
        let factor = downsamplingFactor
        guard image.rank == 4, image.shape[0] >= 1, image.shape[1] == configuration.inChannels,
              image.shape[2] >= factor, image.shape[3] >= factor else {
            throw .invalidInput(parameter: "image", shape: image.shape,
                                expected: "[N, \(configuration.inChannels), H, W] with N ≥ 1 and H, W ≥ \(factor)")
        }
        return try wrappingTensorErrors { () throws(TensorError) in
            // x.add(1).div(2): two roundings, in torch's order.
            var hidden = image.map { ($0 + 1) / 2 }
            for layer in layers {
                switch layer {
                case .convolution(let conv): hidden = try conv(hidden)
                case .block(let block): hidden = try block(hidden)
                }
            }
            return hidden
        }
    }

    /// Encodes images into latents in the diffusion model's scale (× `scaling_factor`, 1 for TAESD).
    ///
    /// - Parameters:
    ///   - image: `[N, in_channels, H, W]` in [-1, 1].
    ///   - random: Ignored: the tiny encoder has no posterior to sample, and draws nothing.
    /// - Returns: `[N, latent_channels, H/8, W/8]`.
    /// - Throws: As ``encode(unscaledImage:)``.
    public func encode(image: Tensor, random: (any RandomSource)?) throws(VAEError) -> Tensor {
        let latents = try encode(unscaledImage: image)
        let factor = Float(configuration.scalingFactor)
        return factor == 1 ? latents : latents.map { $0 * factor }
    }
}
