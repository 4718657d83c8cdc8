/// diffusers' `Attention` (`models/attention_processor.py`) with its default processor, on token
/// sequences: `to_q`, `to_k`, `to_v`, multi-head scaled dot-product attention, `to_out.0`.
///
/// Self-attention when no context is given, cross-attention otherwise. The spatial wrapper the VAE
/// puts around it (group norm, NCHW ↔ tokens, residual) lives with the VAE. `upcast_attention` and
/// `upcast_softmax` are accepted implicitly: everything here is already float32.
public struct Attention: Sendable {
    /// Query projection.
    public let toQuery: Linear
    /// Key projection.
    public let toKey: Linear
    /// Value projection.
    public let toValue: Linear
    /// Output projection (`to_out.0`).
    public let toOut: Linear
    /// Number of heads.
    public let heads: Int

    /// Loads the projections under diffusers' names.
    ///
    /// - Parameters:
    ///   - weights: Reader scoped to the attention module (e.g. `…transformer_blocks.0.attn2`).
    ///   - queryDim: Width of the input tokens.
    ///   - contextDim: Width of the context tokens (cross-attention), or nil for self-attention.
    ///   - heads: Number of heads.
    ///   - headDim: Channels per head.
    ///   - projectionBias: Whether `to_q/k/v` have biases (`attention_bias`; false in the UNet, true in the VAE).
    /// - Throws: ``TensorError`` for a missing or misshapen tensor.
    public init(weights: WeightReader, queryDim: Int, contextDim: Int? = nil, heads: Int, headDim: Int,
                projectionBias: Bool) throws(TensorError) {
        let inner = heads * headDim
        let context = contextDim ?? queryDim
        toQuery = try Linear(weights: weights.scoped("to_q"), inFeatures: queryDim, outFeatures: inner, bias: projectionBias)
        toKey = try Linear(weights: weights.scoped("to_k"), inFeatures: context, outFeatures: inner, bias: projectionBias)
        toValue = try Linear(weights: weights.scoped("to_v"), inFeatures: context, outFeatures: inner, bias: projectionBias)
        toOut = try Linear(weights: weights.scoped("to_out.0"), inFeatures: inner, outFeatures: queryDim)
        self.heads = heads
    }

    /// Builds the module from projections loaded elsewhere (legacy key layouts).
    public init(toQuery: Linear, toKey: Linear, toValue: Linear, toOut: Linear, heads: Int) {
        (self.toQuery, self.toKey, self.toValue, self.toOut, self.heads) = (toQuery, toKey, toValue, toOut, heads)
    }

    /// Attends from `x` `[B, L, queryDim]` to `context` `[B, Lk, contextDim]` (or to itself).
    ///
    /// - Returns: `[B, L, queryDim]`.
    public func callAsFunction(_ x: Tensor, context: Tensor? = nil) throws(TensorError) -> Tensor {
        let source = context ?? x
        let query = try toQuery(x)
        let key = try toKey(source)
        let value = try toValue(source)
        let attended = try query.attention(key: key, value: value, heads: heads)
        return try toOut(attended)
    }
}
