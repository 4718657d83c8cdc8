import Layers

/// diffusers' `UNetMidBlock2D` as the VAE builds it (`models/unets/unet_2d_blocks.py`): resnet,
/// attention (unless `mid_block_add_attention` is false), resnet, all at the deepest width.
/// Checkpoint keys: `resnets.0`, `attentions.0`, `resnets.1`.
struct VAEMidBlock: Sendable {
    let first: ResnetBlock2D
    let attention: VAEAttentionBlock?
    let second: ResnetBlock2D

    init(weights: WeightReader, channels: Int, groups: Int, addAttention: Bool) throws(TensorError) {
        first = try ResnetBlock2D(weights: weights.scoped("resnets", 0), inChannels: channels, outChannels: channels,
                                  timeEmbeddingChannels: nil, groups: groups, epsilon: 1e-6)
        attention = addAttention
            ? try VAEAttentionBlock(weights: weights.scoped("attentions", 0), channels: channels, groups: groups) : nil
        second = try ResnetBlock2D(weights: weights.scoped("resnets", 1), inChannels: channels, outChannels: channels,
                                   timeEmbeddingChannels: nil, groups: groups, epsilon: 1e-6)
    }

    func callAsFunction(_ x: Tensor) throws(TensorError) -> Tensor {
        var hidden = try first(x)
        if let attention { hidden = try attention(hidden) }
        return try second(hidden)
    }
}

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

    func callAsFunction(_ x: Tensor) throws(TensorError) -> Tensor {
        var hidden = x
        for resnet in resnets { hidden = try resnet(hidden) }
        return try upsampler?(hidden) ?? hidden
    }
}
