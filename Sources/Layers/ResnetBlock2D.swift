/// diffusers' `ResnetBlock2D` (`models/resnet.py`) as Stable Diffusion's UNet and VAE use it:
/// `norm1 → SiLU → conv1 [+ time_emb_proj(SiLU(temb))] → norm2 → SiLU → conv2`, plus the input
/// through `conv_shortcut` (1×1) when the channel count changes.
///
/// Supports `time_embedding_norm="default"` and `output_scale_factor` 1 only (what SD 1.x/2.x use);
/// dropout is inference-time identity.
public struct ResnetBlock2D: Sendable {
    let norm1: GroupNorm
    let conv1: Conv2D
    let timeEmbeddingProjection: Linear?
    let norm2: GroupNorm
    let conv2: Conv2D
    let shortcut: Conv2D?

    /// Loads the block.
    ///
    /// - Parameters:
    ///   - weights: Reader scoped to the block (e.g. `down_blocks.0.resnets.1`).
    ///   - inChannels: Input channels.
    ///   - outChannels: Output channels.
    ///   - timeEmbeddingChannels: Width of the time embedding, or nil (VAE) for no `time_emb_proj`.
    ///   - groups: Group-norm groups.
    ///   - epsilon: Group-norm epsilon.
    /// - Throws: ``TensorError`` for a missing or misshapen tensor.
    public init(weights: WeightReader, inChannels: Int, outChannels: Int, timeEmbeddingChannels: Int?,
                groups: Int, epsilon: Float) throws(TensorError) {
        norm1 = try GroupNorm(weights: weights.scoped("norm1"), groups: groups, channels: inChannels, epsilon: epsilon)
        conv1 = try Conv2D(weights: weights.scoped("conv1"), inChannels: inChannels, outChannels: outChannels,
                           kernelSize: 3, padding: .uniform(1))
        timeEmbeddingProjection = try timeEmbeddingChannels.map { (channels) throws(TensorError) in
            try Linear(weights: weights.scoped("time_emb_proj"), inFeatures: channels, outFeatures: outChannels)
        }
        norm2 = try GroupNorm(weights: weights.scoped("norm2"), groups: groups, channels: outChannels, epsilon: epsilon)
        conv2 = try Conv2D(weights: weights.scoped("conv2"), inChannels: outChannels, outChannels: outChannels,
                           kernelSize: 3, padding: .uniform(1))
        shortcut = inChannels == outChannels ? nil
            : try Conv2D(weights: weights.scoped("conv_shortcut"), inChannels: inChannels, outChannels: outChannels, kernelSize: 1)
    }

    /// Runs the block.
    ///
    /// Handing `x` over (`resnet(consume hidden)`) lets the block reuse its memory: with a shortcut,
    /// `x` is needed only by the shortcut and `norm1`, so the shortcut runs first and `norm1` writes
    /// over `x`; the block's output is written over its own temporaries. A 256-channel 512² input of the
    /// VAE decoder's last level is 256 MB that then never coexists with its normalized copy. Results
    /// are the same either way.
    ///
    /// - Parameters:
    ///   - x: `[N, inChannels, H, W]`.
    ///   - timeEmbedding: `[N, timeEmbeddingChannels]` for UNet blocks, nil for VAE blocks.
    /// - Returns: `[N, outChannels, H, W]`.
    public func callAsFunction(_ x: consuming Tensor, timeEmbedding: Tensor? = nil) throws(TensorError) -> Tensor {
        let residual: Tensor
        var hidden: Tensor
        if let shortcut {
            residual = try shortcut(x)
            hidden = try conv1(norm1.normalizing(consume x, activation: .silu))
        } else {
            residual = copy x
            hidden = try conv1(norm1(residual, activation: .silu))
        }
        if let projection = timeEmbeddingProjection {
            guard let timeEmbedding else {
                throw .shapeMismatch(operation: "ResnetBlock2D", details: "block has time_emb_proj but no time embedding was given")
            }
            let bias = try projection(timeEmbedding.silu())
            hidden = try hidden.addingChannelBias(bias)
        }
        hidden = try conv2(norm2.normalizing(consume hidden, activation: .silu))
        return try hidden.addingConsuming(residual, operation: "ResnetBlock2D residual")
    }
}

extension Tensor {
    /// Adds a per-sample, per-channel value `[N, C]` to every position of an `[N, C, ...]` tensor.
    ///
    /// - Throws: ``TensorError/shapeMismatch(operation:details:)`` when N or C disagree.
    public func addingChannelBias(_ bias: Tensor) throws(TensorError) -> Tensor {
        guard rank >= 2, bias.shape == [shape[0], shape[1]] else {
            throw .shapeMismatch(operation: "addingChannelBias", details: "input \(shape), bias \(bias.shape)")
        }
        return try broadcasting(bias.reshaped(bias.shape + Array(repeating: 1, count: rank - 2)), operation: "addingChannelBias", +)
    }
}
