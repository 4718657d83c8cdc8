import Layers

/// transformers' `CLIPMLP`: `fc2(act(fc1(x)))` with the configuration's `hidden_act`.
/// Checkpoint keys: `fc1` `[intermediate, width]`, `fc2` `[width, intermediate]`, each with a bias.
struct CLIPMLP: Sendable {
    let expand: Linear
    let contract: Linear
    let activation: Activation

    init(weights: WeightReader, width: Int, intermediate: Int, activation: Activation) throws(TensorError) {
        expand = try Linear(weights: weights.scoped("fc1"), inFeatures: width, outFeatures: intermediate)
        contract = try Linear(weights: weights.scoped("fc2"), inFeatures: intermediate, outFeatures: width)
        self.activation = activation
    }

    func callAsFunction(_ x: Tensor) throws(TensorError) -> Tensor {
        var hidden = try expand(x)
        // In place: the expanded activations are the largest tensor of the layer.
        hidden.apply(activation)
        return try contract(hidden)
    }
}
