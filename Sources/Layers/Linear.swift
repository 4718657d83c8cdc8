/// A fully connected layer, as PyTorch's `nn.Linear`. Checkpoint keys: `weight` `[out, in]`, `bias` `[out]`.
///
/// The weight is kept as the checkpoint stores it (fp16 stays 16-bit) and widened to float32 for each
/// call (``StoredTensor/withFloat32(_:)``); the bias is small and widened once at load.
public struct Linear: Sendable {
    /// `[outFeatures, inFeatures]`, in the checkpoint's precision.
    public let weight: StoredTensor
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
        self.weight = try weights.storedTensor("weight", shape: [outFeatures, inFeatures])
        self.bias = bias ? try weights.tensor("bias", shape: [outFeatures]) : nil
    }

    /// Wraps existing tensors.
    public init(weight: Tensor, bias: Tensor?) {
        self.init(weight: StoredTensor(weight), bias: bias)
    }

    /// Wraps a stored weight (for example rows cut out of a fused projection) and a bias.
    public init(weight: StoredTensor, bias: Tensor?) {
        self.weight = weight
        self.bias = bias
    }

    /// Input width.
    public var inFeatures: Int { weight.shape[1] }
    /// Output width.
    public var outFeatures: Int { weight.shape[0] }

    /// Applies the layer over the last dimension.
    public func callAsFunction(_ x: Tensor) throws(TensorError) -> Tensor {
        try weight.withFloat32 { (weight) throws(TensorError) in try x.linear(weight: weight, bias: bias) }
    }
}
