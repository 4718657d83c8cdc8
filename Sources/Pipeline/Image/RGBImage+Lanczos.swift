import Foundation

extension RGBImage {
    /// The image resized with Pillow's `Image.resize(size, Image.LANCZOS)` arithmetic, byte for byte
    /// (`libImaging/Resample.c`, what diffusers' `VaeImageProcessor` uses for control images): a
    /// separable Lanczos-3 filter widened by the scale factor when shrinking, coefficients normalised
    /// in double precision and rounded to 22-bit fixed point, a horizontal pass to 8-bit rows, then
    /// a vertical pass, each rounding and clamping to 0…255. Resizing to the same size returns the
    /// image unchanged, as Pillow does.
    ///
    /// Pillow up to 12 always runs the horizontal pass first; Pillow 13 runs the vertical pass first
    /// when the height shrinks much more than the width (its pull request #9549), and since the
    /// first pass rounds to 8 bits, those sizes differ from Pillow 13 by a few levels at sharp edges.
    ///
    /// - Parameters:
    ///   - width: Output width, at least 1.
    ///   - height: Output height, at least 1.
    /// - Returns: The resized image.
    /// - Precondition: positive sizes and a non-empty image.
    public func resizedLanczos(width newWidth: Int, height newHeight: Int) -> RGBImage {
        precondition(newWidth >= 1 && newHeight >= 1 && width >= 1 && height >= 1, "resizedLanczos: empty size")
        if newWidth == width, newHeight == height { return self }
        var current = self
        if newWidth != width {
            current = current.resampledHorizontally(to: newWidth)
        }
        if newHeight != height {
            current = current.transposed().resampledHorizontally(to: newHeight).transposed()
        }
        return current
    }

    /// Pillow's fixed-point precision for 8-bit images (`PRECISION_BITS = 32 − 8 − 2`).
    private static let precisionBits = 22

    /// One horizontal pass (Pillow's `ImagingResampleHorizontal_8bpc`).
    private func resampledHorizontally(to outSize: Int) -> RGBImage {
        let (bounds, coefficients, kernelSize) = Self.lanczosCoefficients(inSize: width, outSize: outSize)
        var output = [UInt8](repeating: 0, count: outSize * height * 3)
        let half = Int64(1) << (Self.precisionBits - 1)
        for y in 0..<height {
            let row = y * width * 3
            for x in 0..<outSize {
                let (start, count) = bounds[x]
                var sums = (half, half, half)
                for k in 0..<count {
                    let weight = Int64(coefficients[x * kernelSize + k])
                    let p = row + (start + k) * 3
                    sums.0 += Int64(pixels[p]) * weight
                    sums.1 += Int64(pixels[p + 1]) * weight
                    sums.2 += Int64(pixels[p + 2]) * weight
                }
                let o = (y * outSize + x) * 3
                output[o] = Self.clip8(sums.0)
                output[o + 1] = Self.clip8(sums.1)
                output[o + 2] = Self.clip8(sums.2)
            }
        }
        return RGBImage(width: outSize, height: height, pixels: output)
    }

    /// `clip8`: the fixed-point sum shifted down and clamped to a byte. Pillow sums in a 32-bit int;
    /// the sums of 8-bit values with coefficients summing to 2²² stay far inside that range.
    private static func clip8(_ sum: Int64) -> UInt8 {
        UInt8(clamping: sum >> Int64(precisionBits))
    }

    /// The image with rows and columns swapped, so the vertical pass can reuse the horizontal one
    /// (the arithmetic per output pixel is the same in Pillow's two passes).
    private func transposed() -> RGBImage {
        var output = [UInt8](repeating: 0, count: pixels.count)
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<3 { output[(x * height + y) * 3 + c] = pixels[(y * width + x) * 3 + c] }
            }
        }
        return RGBImage(width: height, height: width, pixels: output)
    }

    /// Pillow's `precompute_coeffs` with the Lanczos filter (support 3) and `normalize_coeffs_8bpc`:
    /// per output pixel the first input index, the tap count, and the fixed-point weights.
    private static func lanczosCoefficients(inSize: Int, outSize: Int) -> (bounds: [(Int, Int)], coefficients: [Int32], kernelSize: Int) {
        let scale = Double(inSize) / Double(outSize)
        let filterScale = max(scale, 1)
        let support = 3.0 * filterScale
        let kernelSize = Int(support.rounded(.up)) * 2 + 1
        var bounds: [(Int, Int)] = []
        var coefficients = [Int32](repeating: 0, count: outSize * kernelSize)
        for x in 0..<outSize {
            let center = (Double(x) + 0.5) * scale
            let inverse = 1.0 / filterScale
            // C's (int) conversion truncates toward zero.
            let start = max(Int(center - support + 0.5), 0)
            let end = min(Int(center + support + 0.5), inSize)
            let count = end - start
            var weights = [Double](repeating: 0, count: count)
            var total = 0.0
            for k in 0..<count {
                let w = lanczos((Double(k + start) - center + 0.5) * inverse)
                weights[k] = w
                total += w
            }
            for k in 0..<count {
                let w = total != 0 ? weights[k] / total : weights[k]
                let fixed = w * Double(1 << precisionBits)
                coefficients[x * kernelSize + k] = Int32(w < 0 ? (-0.5 + fixed).rounded(.towardZero) : (0.5 + fixed).rounded(.towardZero))
            }
            bounds.append((start, count))
        }
        return (bounds, coefficients, kernelSize)
    }

    /// Pillow's `lanczos_filter`: `sinc(x) · sinc(x/3)` on [−3, 3).
    private static func lanczos(_ x: Double) -> Double {
        guard x >= -3, x < 3 else { return 0 }
        return sinc(x) * sinc(x / 3)
    }

    private static func sinc(_ x: Double) -> Double {
        if x == 0 { return 1 }
        let t = x * Double.pi
        return Foundation.sin(t) / t
    }
}
