import TensorModule

/// An 8-bit RGB image, rows top to bottom, pixels interleaved `R G B`.
public struct RGBImage: Sendable, Equatable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// `width × height × 3` bytes.
    public let pixels: [UInt8]

    /// Wraps pixel data.
    ///
    /// - Precondition: `pixels.count == width * height * 3`.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && pixels.count == width * height * 3,
                     "RGBImage(\(width)×\(height)) needs \(width * height * 3) bytes, got \(pixels.count)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// Converts one image of a decoder output `[N, 3, H, W]` in [-1, 1] to RGB8 exactly as diffusers'
    /// `VaeImageProcessor.postprocess` does: `(x / 2 + 0.5).clamp(0, 1)`, × 255, rounded half to
    /// even (NumPy's `round`), in float32.
    ///
    /// - Parameters:
    ///   - tensor: Decoder output.
    ///   - index: Which image of the batch.
    /// - Throws: ``PipelineError/invalidImageTensor(shape:)`` for a tensor that is not `[N, 3, H, W]`.
    public init(decoderOutput tensor: Tensor, index: Int = 0) throws(PipelineError) {
        guard tensor.rank == 4, tensor.shape[1] == 3, index >= 0, index < tensor.shape[0] else {
            throw .invalidImageTensor(shape: tensor.shape)
        }
        let (height, width) = (tensor.shape[2], tensor.shape[3])
        let plane = height * width
        var pixels = [UInt8](repeating: 0, count: plane * 3)
        tensor.withUnsafeBufferPointer { source in
            let base = index * 3 * plane
            for c in 0..<3 {
                for i in 0..<plane {
                    let value = min(max(source[base + c * plane + i] / 2 + 0.5, 0), 1)
                    pixels[i * 3 + c] = UInt8((value * 255).rounded(.toNearestOrEven))
                }
            }
        }
        self.init(width: width, height: height, pixels: pixels)
    }

    /// The image as a `[1, 3, H, W]` tensor in [-1, 1], as diffusers' `VaeImageProcessor.preprocess`
    /// makes it (`x / 255 · 2 − 1` in float32), for the VAE encoder.
    public var normalizedTensor: Tensor {
        let plane = height * width
        return Tensor(shape: [1, 3, height, width]) { buffer in
            for i in 0..<plane {
                for c in 0..<3 {
                    buffer[c * plane + i] = Float(pixels[i * 3 + c]) / 255 * 2 - 1
                }
            }
        }
    }
}
