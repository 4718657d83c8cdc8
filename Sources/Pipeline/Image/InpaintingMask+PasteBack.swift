import Foundation

extension InpaintingMask {
    /// The generated image with the original pixels pasted back outside the mask, through a mask
    /// softened by a Gaussian blur: AUTOMATIC1111's "mask blur" overlay, which diffusers'
    /// `StableDiffusionInpaintPipeline` does not do (its output is the VAE's reconstruction everywhere,
    /// so kept areas drift slightly from the original).
    ///
    /// As the web UI does it: the binary mask is blurred with a Gaussian of standard deviation `blur`
    /// pixels (OpenCV's kernel, `2·⌊2.5·blur + 0.5⌋ + 1` taps, border reflected without repeating the
    /// edge pixel), first along rows then along columns; the overlay's opacity is
    /// `a = 1 − min(2·blurred, 1)` (the original shows fully where the blurred mask is 0 and not at
    /// all where it is ½ or more); `out = original·a + generated·(1 − a)`, rounded. The web UI rounds its mask to 8 bits between the stages; this
    /// computes in float, so edge pixels can differ from it by one level. A blur of 0 pastes the
    /// original back with the hard mask.
    ///
    /// - Parameters:
    ///   - original: The init image.
    ///   - generated: The generated image, the same size.
    ///   - blur: The blur's standard deviation in pixels, ≥ 0.
    /// - Returns: The composite.
    func pastingBack(original: RGBImage, onto generated: RGBImage, blur: Int) -> RGBImage {
        precondition(original.width == width && original.height == height
                     && generated.width == width && generated.height == height, "paste-back: sizes differ")
        let softened = blur > 0 ? Self.gaussianBlurred(values, width: width, height: height, sigma: Double(blur)) : values
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) {
            let opacity = 1 - min(2 * softened[i], 1)
            for c in 0..<3 {
                let value = Float(original.pixels[3 * i + c]) * opacity + Float(generated.pixels[3 * i + c]) * (1 - opacity)
                pixels[3 * i + c] = UInt8(min(max(value.rounded(), 0), 255))
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// A separable Gaussian blur with OpenCV's kernel size and `BORDER_REFLECT_101` edges.
    static func gaussianBlurred(_ values: [Float], width: Int, height: Int, sigma: Double) -> [Float] {
        let radius = Int(2.5 * sigma + 0.5)
        var kernel = (-radius...radius).map { Float(exp(-Double($0 * $0) / (2 * sigma * sigma))) }
        let total = kernel.reduce(0, +)
        kernel = kernel.map { $0 / total }
        func reflect(_ index: Int, _ count: Int) -> Int {
            guard count > 1 else { return 0 }
            var i = index
            while i < 0 || i >= count { i = i < 0 ? -i : 2 * (count - 1) - i }
            return i
        }
        var rows = [Float](repeating: 0, count: values.count)
        for y in 0..<height {
            for x in 0..<width {
                var sum: Float = 0
                for (k, weight) in kernel.enumerated() { sum += weight * values[y * width + reflect(x + k - radius, width)] }
                rows[y * width + x] = sum
            }
        }
        var out = [Float](repeating: 0, count: values.count)
        for y in 0..<height {
            for x in 0..<width {
                var sum: Float = 0
                for (k, weight) in kernel.enumerated() { sum += weight * rows[reflect(y + k - radius, height) * width + x] }
                out[y * width + x] = sum
            }
        }
        return out
    }
}
