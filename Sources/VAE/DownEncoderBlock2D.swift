import Layers

/// diffusers' `DownEncoderBlock2D`: `layers_per_block` resnets, then (except at the deepest level) a
/// stride-2 3×3 convolution after padding one pixel right and bottom only (`downsample_padding=0`
/// plus `F.pad(x, (0, 1, 0, 1))` in diffusers' `Downsample2D`).
/// Checkpoint keys: `resnets.N`, `downsamplers.0.conv`.
struct DownEncoderBlock2D: Sendable {
    let resnets: [ResnetBlock2D]
    let downsampler: Downsample2D?

    init(weights: WeightReader, inChannels: Int, outChannels: Int, layers: Int, groups: Int,
         addDownsample: Bool) throws(TensorError) {
        var resnets: [ResnetBlock2D] = []
        for index in 0..<layers {
            resnets.append(try ResnetBlock2D(weights: weights.scoped("resnets", index),
                                             inChannels: index == 0 ? inChannels : outChannels, outChannels: outChannels,
                                             timeEmbeddingChannels: nil, groups: groups, epsilon: 1e-6))
        }
        self.resnets = resnets
        downsampler = addDownsample
            ? try Downsample2D(weights: weights.scoped("downsamplers", 0), inChannels: outChannels, outChannels: outChannels,
                               padding: Downsample2D.asymmetricPadding)
            : nil
    }

    func callAsFunction(_ x: Tensor) throws(TensorError) -> Tensor {
        var hidden = x
        for resnet in resnets { hidden = try resnet(hidden) }
        return try downsampler?(hidden) ?? hidden
    }
}
