import Layers

/// The activation of a tiny autoencoder's blocks (`act_fn`).
enum TinyActivation: Sendable {
    case relu, silu

    init(_ name: String) { self = name == "relu" ? .relu : .silu }

    func callAsFunction(_ x: Tensor) -> Tensor {
        switch self {
        case .relu: return x.relu()
        case .silu: return x.silu()
        }
    }
}

extension Tensor {
    /// `max(x, 0)` element-wise, as torch's `relu` (which keeps NaN as NaN).
    func relu() -> Tensor { map { $0.isNaN ? $0 : Swift.max($0, 0) } }
}

/// diffusers' `AutoencoderTinyBlock` (`models/unets/unet_2d_blocks.py`): three 3×3 convolutions with the
/// activation between them, added to the input (no `skip` convolution: every block of a TAESD level
/// maps its width to itself), then ReLU (`fuse`, always ReLU whatever `act_fn` says).
///
/// Checkpoint keys: `conv.0`, `conv.2`, `conv.4` (the `nn.Sequential` indices; 1 and 3 are the
/// activations, which have no weights).
struct TinyBlock: Sendable {
    let convolutions: [Conv2D]
    let activation: TinyActivation

    init(weights: WeightReader, channels: Int, activation: TinyActivation) throws(TensorError) {
        var convolutions: [Conv2D] = []
        for index in [0, 2, 4] {
            convolutions.append(try Conv2D(weights: weights.scoped("conv", index), inChannels: channels,
                                           outChannels: channels, kernelSize: 3, padding: .uniform(1)))
        }
        self.convolutions = convolutions
        self.activation = activation
    }

    func callAsFunction(_ x: Tensor) throws(TensorError) -> Tensor {
        var hidden = activation(try convolutions[0](x))
        hidden = activation(try convolutions[1](hidden))
        hidden = try convolutions[2](hidden)
        return try hidden.adding(x).relu()
    }
}
