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

    func callAsFunction(_ x: consuming Tensor) throws(TensorError) -> Tensor {
        var hidden = try first(consume x)
        if let attention { hidden = try attention(hidden) }
        return try second(consume hidden)
    }
}
