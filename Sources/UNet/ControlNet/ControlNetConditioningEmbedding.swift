import Layers

/// diffusers' `ControlNetConditioningEmbedding` (`models/controlnets/controlnet.py`): the control
/// image → latent-sized features added to `conv_in`'s output. `conv_in`, then per width step a 3×3
/// convolution and a stride-2 3×3 convolution (SiLU after each), then `conv_out` (a zero convolution in
/// a fresh ControlNet). Checkpoint keys: `conv_in`, `blocks.N`, `conv_out`.
struct ControlNetConditioningEmbedding: Sendable {
    let convIn: Conv2D
    let blocks: [Conv2D]
    let convOut: Conv2D

    /// Loads the embedding from a reader scoped to `controlnet_cond_embedding`.
    init(weights: WeightReader, configuration c: ControlNetConfiguration) throws(TensorError) {
        let widths = c.conditioningEmbeddingChannels
        convIn = try Conv2D(weights: weights.scoped("conv_in"), inChannels: c.conditioningChannels, outChannels: widths[0],
                            kernelSize: 3, padding: .uniform(1))
        var blocks: [Conv2D] = []
        for step in 0..<(widths.count - 1) {
            blocks.append(try Conv2D(weights: weights.scoped("blocks", blocks.count), inChannels: widths[step],
                                     outChannels: widths[step], kernelSize: 3, padding: .uniform(1)))
            blocks.append(try Conv2D(weights: weights.scoped("blocks", blocks.count), inChannels: widths[step],
                                     outChannels: widths[step + 1], kernelSize: 3, stride: 2, padding: .uniform(1)))
        }
        self.blocks = blocks
        convOut = try Conv2D(weights: weights.scoped("conv_out"), inChannels: widths[widths.count - 1],
                             outChannels: c.unet.blockOutChannels[0], kernelSize: 3, padding: .uniform(1))
    }

    /// Embeds a control image batch `[B, conditioningChannels, H, W]`.
    func callAsFunction(_ image: Tensor) throws(TensorError) -> Tensor {
        var hidden = try convIn(image).silu()
        for block in blocks { hidden = try block(hidden).silu() }
        return try convOut(hidden)
    }
}
