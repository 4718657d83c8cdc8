/// Group normalization, as PyTorch's `nn.GroupNorm` (affine). Checkpoint keys: `weight`, `bias` `[C]`.
public struct GroupNorm: Sendable {
    /// Number of groups.
    public let groups: Int
    /// Added to the variance (1e-5 in UNet resnets, 1e-6 in the VAE and UNet transformers).
    public let epsilon: Float
    /// Per-channel scale.
    public let weight: Tensor
    /// Per-channel shift.
    public let bias: Tensor

    /// Loads the layer's tensors.
    ///
    /// - Throws: ``TensorError`` for a missing or misshapen tensor.
    public init(weights: WeightReader, groups: Int, channels: Int, epsilon: Float) throws(TensorError) {
        self.groups = groups
        self.epsilon = epsilon
        self.weight = try weights.tensor("weight", shape: [channels])
        self.bias = try weights.tensor("bias", shape: [channels])
    }

    /// Normalizes an `[N, C, ...]` tensor, applying `activation` in the same pass.
    public func callAsFunction(_ x: Tensor, activation: Activation? = nil) throws(TensorError) -> Tensor {
        try x.groupNorm(groups: groups, weight: weight, bias: bias, epsilon: epsilon, activation: activation)
    }

    /// As ``callAsFunction(_:activation:)``, writing over `x`'s elements when the caller handed it over
    /// (`consume`) and nothing else shares them, so the input and the output never coexist.
    public func normalizing(_ x: consuming Tensor, activation: Activation? = nil) throws(TensorError) -> Tensor {
        try x.groupNormConsuming(groups: groups, weight: weight, bias: bias, epsilon: epsilon, activation: activation)
    }
}

/// Layer normalization over the last dimension, as PyTorch's `nn.LayerNorm(C)`.
/// Checkpoint keys: `weight`, `bias` `[C]`.
public struct LayerNorm: Sendable {
    /// Added to the variance.
    public let epsilon: Float
    /// Scale.
    public let weight: Tensor
    /// Shift.
    public let bias: Tensor

    /// Loads the layer's tensors.
    ///
    /// - Throws: ``TensorError`` for a missing or misshapen tensor.
    public init(weights: WeightReader, channels: Int, epsilon: Float) throws(TensorError) {
        self.epsilon = epsilon
        self.weight = try weights.tensor("weight", shape: [channels])
        self.bias = try weights.tensor("bias", shape: [channels])
    }

    /// Normalizes over the last dimension.
    public func callAsFunction(_ x: Tensor) throws(TensorError) -> Tensor {
        try x.layerNorm(weight: weight, bias: bias, epsilon: epsilon)
    }
}
