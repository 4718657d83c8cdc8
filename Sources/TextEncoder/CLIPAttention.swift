import Layers

/// transformers' `CLIPAttention` as the text model uses it: causal multi-head self-attention.
/// Checkpoint keys: `q_proj`, `k_proj`, `v_proj`, `out_proj` (`weight` `[width, width]`, `bias` `[width]`).
///
/// Only the causal mask applies: diffusers passes no padding mask unless the config sets
/// `use_attention_mask`, which the published SD 1.x / 2.x text encoders do not.
struct CLIPAttention: Sendable {
    let queryProjection: Linear
    let keyProjection: Linear
    let valueProjection: Linear
    let outputProjection: Linear
    let heads: Int

    init(weights: WeightReader, width: Int, heads: Int) throws(TensorError) {
        queryProjection = try Linear(weights: weights.scoped("q_proj"), inFeatures: width, outFeatures: width)
        keyProjection = try Linear(weights: weights.scoped("k_proj"), inFeatures: width, outFeatures: width)
        valueProjection = try Linear(weights: weights.scoped("v_proj"), inFeatures: width, outFeatures: width)
        outputProjection = try Linear(weights: weights.scoped("out_proj"), inFeatures: width, outFeatures: width)
        self.heads = heads
    }

    /// `[windows, length, width]` → same shape; the scale is CLIP's `head_dim ** -0.5`, the attention op's default.
    func callAsFunction(_ x: Tensor) throws(TensorError) -> Tensor {
        let query = try queryProjection(x)
        let key = try keyProjection(x)
        let value = try valueProjection(x)
        return try outputProjection(query.attention(key: key, value: value, heads: heads, causal: true))
    }
}
