import Layers

/// diffusers' `BasicTransformerBlock` (`models/attention.py`) as SD 1.x/2.x configure it
/// (`norm_type="layer_norm"`, `activation_fn="geglu"`, no attention bias): on `[B, L, dim]` tokens,
/// `x += attn1(norm1(x))` (self-attention), `x += attn2(norm2(x), text)` (cross-attention),
/// `x += ff(norm3(x))`.
///
/// Does not support ada-norm variants, `only_cross_attention`, `double_self_attention`, GLIGEN or
/// attention masks. Attention runs through `Tensor.attention`, which processes one head and one
/// block of queries at a time, so scores for all heads are never held together.
struct BasicTransformerBlock: Sendable {
    let norm1: LayerNorm
    let selfAttention: Attention
    let norm2: LayerNorm
    let crossAttention: Attention
    let norm3: LayerNorm
    let feedForward: FeedForward

    /// diffusers' default `norm_eps` for the block's layer norms (the UNet does not override it).
    static let layerNormEpsilon: Float = 1e-5

    /// Loads the block from a reader scoped to `…transformer_blocks.N`.
    ///
    /// - Parameters:
    ///   - dim: Token width (`heads · headDim`).
    ///   - heads: Attention heads.
    ///   - contextDim: Width of the text embeddings.
    init(weights: WeightReader, dim: Int, heads: Int, contextDim: Int) throws(TensorError) {
        let epsilon = BasicTransformerBlock.layerNormEpsilon
        norm1 = try LayerNorm(weights: weights.scoped("norm1"), channels: dim, epsilon: epsilon)
        selfAttention = try Attention(weights: weights.scoped("attn1"), queryDim: dim, heads: heads,
                                      headDim: dim / heads, projectionBias: false)
        norm2 = try LayerNorm(weights: weights.scoped("norm2"), channels: dim, epsilon: epsilon)
        crossAttention = try Attention(weights: weights.scoped("attn2"), queryDim: dim, contextDim: contextDim,
                                       heads: heads, headDim: dim / heads, projectionBias: false)
        norm3 = try LayerNorm(weights: weights.scoped("norm3"), channels: dim, epsilon: epsilon)
        feedForward = try FeedForward(weights: weights.scoped("ff"), dim: dim, innerDim: 4 * dim)
    }

    /// Runs the block on `[B, L, dim]` tokens, attending to `context` `[B, Lk, contextDim]`.
    func callAsFunction(_ x: Tensor, context: Tensor) throws(TensorError) -> Tensor {
        var hidden = try selfAttention(norm1(x)).adding(x)
        hidden = try crossAttention(norm2(hidden), context: context).adding(hidden)
        return try feedForward(norm3(hidden)).adding(hidden)
    }
}
