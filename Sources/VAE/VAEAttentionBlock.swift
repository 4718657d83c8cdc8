import Layers

/// The VAE mid block's spatial self-attention: diffusers' `Attention` built with
/// `_from_deprecated_attn_block=True` (`models/attention_processor.py`) — group norm, one head over all
/// H·W positions with C channels, output projection, residual.
///
/// Checkpoint keys: `group_norm`, `to_q`, `to_k`, `to_v`, `to_out.0`. Checkpoints written before
/// diffusers renamed the block use `query`, `key`, `value`, `proj_attn`, and some store those
/// projections as 1×1 convolution weights `[C, C, 1, 1]`; both are accepted here, the one layer that
/// has them (diffusers converts them in `ModelMixin._fix_state_dict_keys_on_load`).
///
/// Memory: scores are computed in blocks of at most 1024 queries (``Tensor/attention(key:value:heads:causal:scale:)``),
/// so at 128×128 latents (a 1024² image) the 16384 positions need one 1024 × 16384 score block
/// (64 MB), never a 16384 × 16384 matrix (1 GB).
struct VAEAttentionBlock: Sendable {
    let groupNorm: GroupNorm
    let attention: Attention

    /// Loads the block.
    ///
    /// - Parameters:
    ///   - weights: Reader scoped to the block (`decoder.mid_block.attentions.0`).
    ///   - channels: C.
    ///   - groups: Group-norm groups.
    init(weights: WeightReader, channels: Int, groups: Int) throws(TensorError) {
        groupNorm = try GroupNorm(weights: weights.scoped("group_norm"), groups: groups, channels: channels, epsilon: 1e-6)
        func projection(_ name: String, legacyName: String) throws(TensorError) -> Linear {
            // The current name wins when present (and for sources that make any tensor on request).
            let useLegacy = !weights.contains("\(name).weight") && weights.contains("\(legacyName).weight")
            let reader = weights.scoped(useLegacy ? legacyName : name)
            return Linear(weight: try reader.storedTensor("weight", shape: [channels, channels], orLegacyShape: [channels, channels, 1, 1]),
                          bias: try reader.tensor("bias", shape: [channels]))
        }
        attention = Attention(toQuery: try projection("to_q", legacyName: "query"),
                              toKey: try projection("to_k", legacyName: "key"),
                              toValue: try projection("to_v", legacyName: "value"),
                              toOut: try projection("to_out.0", legacyName: "proj_attn"),
                              heads: 1)
    }

    /// Attends over all positions of `[N, C, H, W]` and adds the input back.
    func callAsFunction(_ x: Tensor) throws(TensorError) -> Tensor {
        let (batch, channels, height, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let tokens = try groupNorm(x).reshaped([batch, channels, height * width]).permuted([0, 2, 1])
        let attended = try attention(tokens)
        let spatial = try attended.permuted([0, 2, 1]).reshaped(x.shape)
        return try spatial.adding(x)
    }
}
