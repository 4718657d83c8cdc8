/// A 2-D convolution, as PyTorch's `nn.Conv2d` (one group, no dilation).
/// Checkpoint keys: `weight` `[out, in, kh, kw]`, `bias` `[out]`.
///
/// PyTorch's weight layout is already the `[out, in·kh·kw]` matrix the im2col GEMM needs, so
/// nothing is repacked at load. The weight is kept as the checkpoint stores it (fp16 stays 16-bit)
/// and widened to float32 for each call (inside the Winograd filter transform when it can, see
/// `Tensor.conv2d(weight: StoredTensor, …)`); the bias is widened once.
public struct Conv2D: Sendable {
    /// `[outChannels, inChannels, kernel, kernel]`, in the checkpoint's precision.
    public let weight: StoredTensor
    /// `[outChannels]`, or nil.
    public let bias: Tensor?
    /// Step in both directions.
    public let stride: Int
    /// Zero padding per side.
    public let padding: Padding2D

    /// Loads the layer's tensors.
    ///
    /// - Parameters:
    ///   - weights: Reader scoped to this layer (e.g. `conv_in`).
    ///   - inChannels: Input channels.
    ///   - outChannels: Output channels.
    ///   - kernelSize: Square kernel side.
    ///   - stride: Step.
    ///   - padding: Zero padding per side.
    ///   - bias: Whether the checkpoint has a bias.
    /// - Throws: ``TensorError`` for a missing or misshapen tensor.
    public init(weights: WeightReader, inChannels: Int, outChannels: Int, kernelSize: Int,
                stride: Int = 1, padding: Padding2D = .uniform(0), bias: Bool = true) throws(TensorError) {
        self.weight = try weights.storedTensor("weight", shape: [outChannels, inChannels, kernelSize, kernelSize])
        self.bias = bias ? try weights.tensor("bias", shape: [outChannels]) : nil
        self.stride = stride
        self.padding = padding
    }

    /// Wraps existing tensors.
    ///
    /// - Parameters:
    ///   - weight: `[outChannels, inChannels, kh, kw]`.
    ///   - bias: `[outChannels]`, or nil.
    ///   - stride: Step.
    ///   - padding: Zero padding per side.
    public init(weight: StoredTensor, bias: Tensor?, stride: Int = 1, padding: Padding2D = .uniform(0)) {
        self.weight = weight
        self.bias = bias
        self.stride = stride
        self.padding = padding
    }

    /// Output channels.
    public var outChannels: Int { weight.shape[0] }

    /// Convolves an NCHW batch.
    public func callAsFunction(_ x: Tensor) throws(TensorError) -> Tensor {
        try x.conv2d(weight: weight, bias: bias, stride: stride, padding: padding)
    }
}
