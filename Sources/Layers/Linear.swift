/// A fully connected layer, as PyTorch's `nn.Linear`. Checkpoint keys: `weight` `[out, in]`, `bias` `[out]`.
public struct Linear: Sendable {
    /// `[outFeatures, inFeatures]`.
    public let weight: Tensor
    /// `[outFeatures]`, or nil for `bias=False`.
    public let bias: Tensor?

    /// Loads the layer's tensors.
    ///
    /// - Parameters:
    ///   - weights: Reader scoped to this layer (e.g. `…attn1.to_q`).
    ///   - inFeatures: Input width.
    ///   - outFeatures: Output width.
    ///   - bias: Whether the checkpoint has a bias.
    /// - Throws: ``TensorError`` for a missing or misshapen tensor.
    public init(weights: WeightReader, inFeatures: Int, outFeatures: Int, bias: Bool = true) throws(TensorError) {
        self.weight = try weights.tensor("weight", shape: [outFeatures, inFeatures])
        self.bias = bias ? try weights.tensor("bias", shape: [outFeatures]) : nil
    }

    /// Wraps existing tensors.
    public init(weight: Tensor, bias: Tensor?) {
        self.weight = weight
        self.bias = bias
    }

    /// Input width.
    public var inFeatures: Int { weight.shape[1] }
    /// Output width.
    public var outFeatures: Int { weight.shape[0] }

    /// Applies the layer over the last dimension.
    public func callAsFunction(_ x: Tensor) throws(TensorError) -> Tensor {
        try x.linear(weight: weight, bias: bias)
    }
}
