import Foundation
import Layers

/// diffusers' `FeedForward` with `activation_fn="geglu"` (`models/attention.py`, `GEGLU` in
/// `models/activations.py`): `net.0.proj` to twice the inner width, split into a value half and a
/// gate half, `value · gelu(gate)` (exact, erf), then `net.2` back to the model width.
///
/// The fused `net.0.proj` is split once at load into a value and a gate projection, so the forward
/// pass never copies halves out of a doubled activation. Dropout is inference-time identity.
struct FeedForward: Sendable {
    let value: Linear
    let gate: Linear
    let output: Linear

    /// Loads `net.0.proj` and `net.2` from a reader scoped to `…ff`.
    ///
    /// - Parameters:
    ///   - dim: Model width.
    ///   - innerDim: Width of the gated hidden layer (`4 · dim` in SD).
    init(weights: WeightReader, dim: Int, innerDim: Int) throws(TensorError) {
        let projection = weights.scoped("net.0.proj")
        let weight = try projection.storedTensor("weight", shape: [2 * innerDim, dim])
        let bias = try projection.tensor("bias", shape: [2 * innerDim])
        value = Linear(weight: try weight.rows(0..<innerDim), bias: try bias.slice(axis: 0, 0..<innerDim))
        gate = Linear(weight: try weight.rows(innerDim..<(2 * innerDim)),
                      bias: try bias.slice(axis: 0, innerDim..<(2 * innerDim)))
        output = try Linear(weights: weights.scoped("net.2"), inFeatures: innerDim, outFeatures: dim)
    }

    /// Applies the feed-forward network over the last dimension of `[B, L, dim]`.
    func callAsFunction(_ x: Tensor) throws(TensorError) -> Tensor {
        let gated = try value(x).broadcasting(gate(x), operation: "GEGLU") { value, gate in
            value * (0.5 * gate * (1 + Foundation.erf(gate * 0.70710678118654752)))
        }
        return try output(gated)
    }
}
