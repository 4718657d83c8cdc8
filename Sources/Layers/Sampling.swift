/// diffusers' `Upsample2D` with a convolution: nearest-neighbour upsampling (to twice the size, or to
/// an explicit size so a UNet skip of odd side lines up), then a 3×3 convolution (`conv`).
public struct Upsample2D: Sendable {
    let conv: Conv2D

    /// Loads `conv`.
    ///
    /// - Throws: ``TensorError`` for a missing or misshapen tensor.
    public init(weights: WeightReader, channels: Int) throws(TensorError) {
        conv = try Conv2D(weights: weights.scoped("conv"), inChannels: channels, outChannels: channels,
                          kernelSize: 3, padding: .uniform(1))
    }

    /// Upsamples `[N, C, H, W]` to `size` (default `2H × 2W`) and convolves.
    public func callAsFunction(_ x: consuming Tensor, size: (height: Int, width: Int)? = nil) throws(TensorError) -> Tensor {
        let target = size ?? (x.shape[2] * 2, x.shape[3] * 2)
        // Handed over, the input is released once upsampled, before the convolution's output exists.
        let upsampled = try (consume x).upsampleNearest(height: target.height, width: target.width)
        return try conv(upsampled)
    }
}

/// diffusers' `Downsample2D` with a convolution: a 3×3 stride-2 convolution (`conv`). The UNet pads
/// one pixel on every side; the VAE encoder pads only right and bottom (`padding=0` plus
/// `F.pad(x, (0, 1, 0, 1))` in diffusers).
public struct Downsample2D: Sendable {
    let conv: Conv2D

    /// Loads `conv` with the given padding.
    ///
    /// - Throws: ``TensorError`` for a missing or misshapen tensor.
    public init(weights: WeightReader, inChannels: Int, outChannels: Int, padding: Padding2D) throws(TensorError) {
        conv = try Conv2D(weights: weights.scoped("conv"), inChannels: inChannels, outChannels: outChannels,
                          kernelSize: 3, stride: 2, padding: padding)
    }

    /// The UNet's padding (1 on every side).
    public static let symmetricPadding = Padding2D.uniform(1)
    /// The VAE encoder's padding (right and bottom only).
    public static let asymmetricPadding = Padding2D(top: 0, bottom: 1, left: 0, right: 1)

    /// Halves the spatial size.
    public func callAsFunction(_ x: Tensor) throws(TensorError) -> Tensor { try conv(x) }
}
