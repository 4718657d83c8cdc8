import Layers

/// diffusers' `FeedForward` with `activation_fn="geglu"` (`models/attention.py`, `GEGLU` in
/// `models/activations.py`): `net.0.proj` to twice the inner width, split into a value half and a
/// gate half, `value · gelu(gate)` (exact, erf), then `net.2` back to the model width.
///
/// The projection runs as one GEMM over both halves; ``Tensor/gatedGELU()`` reads them in place.
/// Dropout is inference-time identity.
struct FeedForward: Sendable {
    let projection: Linear
    let output: Linear

    /// Loads `net.0.proj` and `net.2` from a reader scoped to `…ff`.
    ///
    /// - Parameters:
    ///   - dim: Model width.
    ///   - innerDim: Width of the gated hidden layer (`4 · dim` in SD).
    init(weights: WeightReader, dim: Int, innerDim: Int) throws(TensorError) {
        projection = try Linear(weights: weights.scoped("net.0.proj"), inFeatures: dim, outFeatures: 2 * innerDim)
        output = try Linear(weights: weights.scoped("net.2"), inFeatures: innerDim, outFeatures: dim)
    }

    /// Applies the feed-forward network over the last dimension of `[B, L, dim]`.
    func callAsFunction(_ x: Tensor) throws(TensorError) -> Tensor {
        try output(projection(x).gatedGELU())
    }
}
