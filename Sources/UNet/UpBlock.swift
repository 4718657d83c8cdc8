import Layers

/// diffusers' `CrossAttnUpBlock2D` (resnets each followed by a `Transformer2DModel`) or `UpBlock2D`
/// (resnets only), then a nearest upsample and 3×3 convolution on every level but the last
/// (`models/unets/unet_2d_blocks.py`). Each resnet first concatenates the most recent skip
/// connection along the channels.
///
/// The upsample targets the spatial size of the next skip connection rather than exactly twice
/// the input, as diffusers does (via `upsample_size`) whenever a latent side is not a multiple of
/// 2^upsamplers; when it is, the two coincide. Does not support FreeU.
struct UpBlock: Sendable {
    let resnets: [ResnetBlock2D]
    /// Empty for `UpBlock2D`.
    let attentions: [Transformer2D]
    let upsampler: Upsample2D?

    /// Loads up block `level` (coarsest first) from a reader scoped to `up_blocks.N`.
    init(weights: WeightReader, level: Int, configuration c: UNetConfiguration) throws(TensorError) {
        let channels = c.upResnetChannels(level)
        resnets = try channels.enumerated().map { (index, resnet) throws(TensorError) in
            try ResnetBlock2D(weights: weights.scoped("resnets", index), inChannels: resnet.input,
                              outChannels: resnet.output, timeEmbeddingChannels: c.timeEmbeddingChannels,
                              groups: c.normNumGroups, epsilon: c.normEpsilon)
        }
        let reversed = c.levels - 1 - level
        attentions = c.upBlockTypes[level] == .resnet ? [] : try channels.indices.map { (index) throws(TensorError) in
            try Transformer2D(weights: weights.scoped("attentions", index), channels: c.blockOutChannels[reversed],
                              heads: c.attentionHeads[reversed], contextDim: c.crossAttentionDim,
                              layers: c.transformerLayersPerBlock[reversed], groups: c.normNumGroups,
                              linearProjection: c.useLinearProjection)
        }
        upsampler = level == c.levels - 1 ? nil
            : try Upsample2D(weights: weights.scoped("upsamplers.0"), channels: c.blockOutChannels[reversed])
    }

    /// Runs the block, consuming one skip connection per resnet from the end of `skips`.
    func callAsFunction(_ x: Tensor, timeEmbedding: Tensor, context: Tensor,
                        skips: inout [Tensor]) throws(TensorError) -> Tensor {
        var hidden = x
        for (index, resnet) in resnets.enumerated() {
            guard let skip = skips.popLast() else {
                throw .shapeMismatch(operation: "UNet up block", details: "ran out of skip connections")
            }
            hidden = try resnet(Tensor.concatenate([hidden, skip], axis: 1), timeEmbedding: timeEmbedding)
            if !attentions.isEmpty { hidden = try attentions[index](hidden, context: context) }
        }
        if let upsampler {
            guard let next = skips.last else {
                throw .shapeMismatch(operation: "UNet up block", details: "no skip connection to size the upsample")
            }
            hidden = try upsampler(hidden, size: (next.shape[2], next.shape[3]))
        }
        return hidden
    }
}
