import Layers

/// diffusers' `Transformer2DModel` (`models/transformers/transformer_2d.py`) on continuous input, as
/// the SD UNet uses it: group norm (eps 1e-6), `proj_in`, `BasicTransformerBlock`s over the H·W
/// tokens, `proj_out`, plus the input.
///
/// `proj_in`/`proj_out` are 1×1 convolutions (SD 1.x) or linear layers (`use_linear_projection`,
/// SD 2.x). A 1×1 convolution is the same matrix applied to each position, so both run as a linear
/// layer on tokens: the convolution's `[out, in, 1, 1]` weight is loaded as `[out, in]`. Vectorised
/// (discrete) and patched inputs, ada-norm and `num_vector_embeds` are not supported.
struct Transformer2D: Sendable {
    let norm: GroupNorm
    let projectIn: Linear
    let blocks: [BasicTransformerBlock]
    let projectOut: Linear

    /// diffusers hard-codes this epsilon for the transformer's group norm.
    static let groupNormEpsilon: Float = 1e-6

    /// Loads the module from a reader scoped to `…attentions.N`.
    ///
    /// - Parameters:
    ///   - channels: Channels of the feature map (also the token width: heads divide it exactly).
    ///   - heads: Attention heads.
    ///   - contextDim: Width of the text embeddings.
    ///   - layers: Number of transformer blocks.
    ///   - groups: Group-norm groups.
    ///   - linearProjection: Whether `proj_in`/`proj_out` are stored as linear layers.
    init(weights: WeightReader, channels: Int, heads: Int, contextDim: Int, layers: Int, groups: Int,
         linearProjection: Bool) throws(TensorError) {
        norm = try GroupNorm(weights: weights.scoped("norm"), groups: groups, channels: channels,
                             epsilon: Transformer2D.groupNormEpsilon)
        projectIn = try Transformer2D.projection(weights.scoped("proj_in"), channels: channels, linear: linearProjection)
        blocks = try (0..<layers).map { (index) throws(TensorError) in
            try BasicTransformerBlock(weights: weights.scoped("transformer_blocks", index), dim: channels,
                                      heads: heads, contextDim: contextDim)
        }
        projectOut = try Transformer2D.projection(weights.scoped("proj_out"), channels: channels, linear: linearProjection)
    }

    /// Runs the module on `[B, C, H, W]`, attending to `context` `[B, Lk, contextDim]`.
    func callAsFunction(_ x: Tensor, context: Tensor) throws(TensorError) -> Tensor {
        let (height, width) = (x.shape[2], x.shape[3])
        var tokens = try projectIn(TokenLayout.tokens(fromNCHW: norm(x)))
        for block in blocks { tokens = try block(tokens, context: context) }
        return TokenLayout.nchw(fromTokens: try projectOut(tokens), height: height, width: width, adding: x)
    }

    private static func projection(_ weights: WeightReader, channels: Int, linear: Bool) throws(TensorError) -> Linear {
        let weight = linear ? try weights.storedTensor("weight", shape: [channels, channels])
            : try weights.storedTensor("weight", shape: [channels, channels, 1, 1]).reshaped([channels, channels])
        return Linear(weight: weight, bias: try weights.tensor("bias", shape: [channels]))
    }
}
