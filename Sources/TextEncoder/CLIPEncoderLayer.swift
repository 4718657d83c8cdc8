import Layers

/// transformers' `CLIPEncoderLayer`, a pre-norm transformer block:
/// `h = x + attn(ln1(x))`, `out = h + mlp(ln2(h))`.
/// Checkpoint keys: `layer_norm1`, `self_attn.*`, `layer_norm2`, `mlp.*`.
struct CLIPEncoderLayer: Sendable {
    let attentionNorm: LayerNorm
    let attention: CLIPAttention
    let mlpNorm: LayerNorm
    let mlp: CLIPMLP

    init(weights: WeightReader, configuration: CLIPTextConfiguration) throws(TensorError) {
        let width = configuration.hiddenSize, epsilon = configuration.layerNormEpsilon
        attentionNorm = try LayerNorm(weights: weights.scoped("layer_norm1"), channels: width, epsilon: epsilon)
        attention = try CLIPAttention(weights: weights.scoped("self_attn"), width: width,
                                      heads: configuration.attentionHeadCount)
        mlpNorm = try LayerNorm(weights: weights.scoped("layer_norm2"), channels: width, epsilon: epsilon)
        mlp = try CLIPMLP(weights: weights.scoped("mlp"), width: width, intermediate: configuration.intermediateSize,
                          activation: configuration.hiddenActivation)
    }

    func callAsFunction(_ x: Tensor) throws(TensorError) -> Tensor {
        let attended = try x.adding(attention(attentionNorm(x)))
        return try attended.adding(mlp(mlpNorm(attended)))
    }
}
