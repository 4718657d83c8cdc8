import Layers

/// diffusers' `UNetMidBlock2DCrossAttn` (`models/unets/unet_2d_blocks.py`) with one layer, as
/// SD 1.x/2.x use it: resnet, `Transformer2DModel`, resnet, at the coarsest level's width.
struct MidBlock: Sendable {
    let firstResnet: ResnetBlock2D
    let attention: Transformer2D
    let secondResnet: ResnetBlock2D

    /// Loads the block from a reader scoped to `mid_block`.
    init(weights: WeightReader, configuration c: UNetConfiguration) throws(TensorError) {
        let channels = c.blockOutChannels[c.levels - 1]
        firstResnet = try ResnetBlock2D(weights: weights.scoped("resnets", 0), inChannels: channels, outChannels: channels,
                                        timeEmbeddingChannels: c.timeEmbeddingChannels, groups: c.normNumGroups,
                                        epsilon: c.normEpsilon)
        attention = try Transformer2D(weights: weights.scoped("attentions", 0), channels: channels,
                                      heads: c.attentionHeads[c.levels - 1], contextDim: c.crossAttentionDim,
                                      layers: c.transformerLayersPerBlock[c.levels - 1], groups: c.normNumGroups,
                                      linearProjection: c.useLinearProjection)
        secondResnet = try ResnetBlock2D(weights: weights.scoped("resnets", 1), inChannels: channels, outChannels: channels,
                                         timeEmbeddingChannels: c.timeEmbeddingChannels, groups: c.normNumGroups,
                                         epsilon: c.normEpsilon)
    }

    /// Runs the block.
    func callAsFunction(_ x: Tensor, timeEmbedding: Tensor, context: Tensor) throws(TensorError) -> Tensor {
        let hidden = try attention(firstResnet(x, timeEmbedding: timeEmbedding), context: context)
        return try secondResnet(hidden, timeEmbedding: timeEmbedding)
    }
}
