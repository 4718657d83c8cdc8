import Layers

/// diffusers' `CrossAttnDownBlock2D` (resnets each followed by a `Transformer2DModel`) or
/// `DownBlock2D` (resnets only), then a stride-2 downsample on every level but the last
/// (`models/unets/unet_2d_blocks.py`). Every resnet's output, and the downsampled output, become
/// skip connections for the up path.
struct DownBlock: Sendable {
    let resnets: [ResnetBlock2D]
    /// Empty for `DownBlock2D`.
    let attentions: [Transformer2D]
    let downsampler: Downsample2D?

    /// Loads level `level` from a reader scoped to `down_blocks.N`.
    init(weights: WeightReader, level: Int, configuration c: UNetConfiguration) throws(TensorError) {
        let output = c.blockOutChannels[level]
        let input = level == 0 ? c.blockOutChannels[0] : c.blockOutChannels[level - 1]
        resnets = try (0..<c.layersPerBlock[level]).map { (index) throws(TensorError) in
            try ResnetBlock2D(weights: weights.scoped("resnets", index), inChannels: index == 0 ? input : output,
                              outChannels: output, timeEmbeddingChannels: c.timeEmbeddingChannels,
                              groups: c.normNumGroups, epsilon: c.normEpsilon)
        }
        attentions = c.downBlockTypes[level] == .resnet ? [] : try (0..<c.layersPerBlock[level]).map { (index) throws(TensorError) in
            try Transformer2D(weights: weights.scoped("attentions", index), channels: output,
                              heads: c.attentionHeads[level], contextDim: c.crossAttentionDim,
                              layers: c.transformerLayersPerBlock[level], groups: c.normNumGroups,
                              linearProjection: c.useLinearProjection)
        }
        downsampler = level == c.levels - 1 ? nil
            : try Downsample2D(weights: weights.scoped("downsamplers.0"), inChannels: output, outChannels: output,
                               padding: c.downsamplePadding == 0 ? Downsample2D.asymmetricPadding : .uniform(c.downsamplePadding))
    }

    /// Runs the block, appending its skip connections to `skips`.
    func callAsFunction(_ x: Tensor, timeEmbedding: Tensor, context: Tensor,
                        skips: inout [Tensor]) throws(TensorError) -> Tensor {
        var hidden = x
        for (index, resnet) in resnets.enumerated() {
            hidden = try resnet(hidden, timeEmbedding: timeEmbedding)
            if !attentions.isEmpty { hidden = try attentions[index](hidden, context: context) }
            skips.append(hidden)
        }
        if let downsampler {
            hidden = try downsampler(hidden)
            skips.append(hidden)
        }
        return hidden
    }
}
