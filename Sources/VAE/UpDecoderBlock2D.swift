import Layers

/// diffusers' `UpDecoderBlock2D`: `layers_per_block + 1` resnets, then (except at the finest level)
/// nearest-neighbour 2× upsampling and a 3×3 convolution.
/// Checkpoint keys: `resnets.N`, `upsamplers.0.conv`.
struct UpDecoderBlock2D: Sendable {
    let resnets: [ResnetBlock2D]
    let upsampler: Upsample2D?

    init(weights: WeightReader, inChannels: Int, outChannels: Int, layers: Int, groups: Int,
         addUpsample: Bool) throws(TensorError) {
        var resnets: [ResnetBlock2D] = []
        for index in 0..<layers {
            resnets.append(try ResnetBlock2D(weights: weights.scoped("resnets", index),
                                             inChannels: index == 0 ? inChannels : outChannels, outChannels: outChannels,
                                             timeEmbeddingChannels: nil, groups: groups, epsilon: 1e-6))
        }
        self.resnets = resnets
        upsampler = addUpsample ? try Upsample2D(weights: weights.scoped("upsamplers", 0), channels: outChannels) : nil
    }

    /// Runs the block; `x` is handed on to the first resnet (see ``ResnetBlock2D``).
    func callAsFunction(_ x: consuming Tensor) throws(TensorError) -> Tensor {
        var hidden = consume x
        for resnet in resnets { hidden = try resnet(consume hidden) }
        guard let upsampler else { return hidden }
        return try upsampler(consume hidden)
    }
}
