import Foundation
import TensorModule

/// Which pixels to repaint: a black-and-white mask, white (1) = repaint, black (0) = keep, made as
/// diffusers' `StableDiffusionInpaintPipeline.mask_processor` makes it: the image converted to
/// 8-bit gray as PIL's `convert("L")` does (`(19595·R + 38470·G + 7471·B + 2¹⁵) >> 16`, alpha
/// ignored), scaled to 0…1 and binarized at 0.5 (so gray 128 and above repaints, 127 and below keeps).
///
/// A soft (blurred) mask is therefore hard after loading, as in diffusers; ``GenerationParameters/maskBlur``
/// softens only the optional paste-back of the original pixels.
public struct InpaintingMask: Sendable, Equatable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// One value per pixel, rows top to bottom: 1 = repaint, 0 = keep.
    public let values: [Float]
    /// Where the mask came from (a path, or "mask"), for messages.
    public let source: String

    /// Binarizes 8-bit gray values.
    ///
    /// - Parameters:
    ///   - gray: `width × height` values, rows top to bottom.
    ///   - width: Width in pixels.
    ///   - height: Height in pixels.
    ///   - source: Names the mask in error messages.
    /// - Throws: ``PipelineError/invalidMask(source:reason:)`` when the sizes disagree, the mask has no
    ///   pixels, or no pixel is white enough to repaint (an all-black mask would return the init image
    ///   re-encoded, which is never what was asked for).
    public init(gray: [UInt8], width: Int, height: Int, source: String = "mask") throws(PipelineError) {
        guard width > 0, height > 0 else {
            throw .invalidMask(source: source, reason: "the mask is empty (\(width)×\(height) pixels)")
        }
        guard gray.count == width * height else {
            throw .invalidMask(source: source, reason: "\(gray.count) gray values for \(width)×\(height) pixels")
        }
        // diffusers: `image / 255.0` in float32 (pil_to_numpy), then `image[image < 0.5] = 0; image[image >= 0.5] = 1`.
        let values = gray.map { Float($0) / 255 < 0.5 ? Float(0) : Float(1) }
        guard values.contains(1) else {
            throw .invalidMask(source: source, reason: "the mask is all black (no pixel of gray 128 or more), so there is "
                + "nothing to repaint; white marks the area to repaint (alpha is ignored)")
        }
        self.width = width
        self.height = height
        self.values = values
        self.source = source
    }

    /// Converts an RGB image to gray as PIL's `convert("L")` does, then binarizes.
    ///
    /// - Throws: As ``init(gray:width:height:source:)``.
    public init(image: RGBImage, source: String = "mask") throws(PipelineError) {
        var gray = [UInt8](repeating: 0, count: image.width * image.height)
        image.pixels.withUnsafeBufferPointer { rgb in
            for i in 0..<gray.count {
                let r = UInt32(rgb[3 * i]), g = UInt32(rgb[3 * i + 1]), b = UInt32(rgb[3 * i + 2])
                gray[i] = UInt8((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16)
            }
        }
        try self.init(gray: gray, width: image.width, height: image.height, source: source)
    }

    /// Reads a mask from a PNG file of any kind (gray, RGB, palette; alpha is dropped, as PIL's
    /// `convert("L")` drops it).
    ///
    /// - Throws: ``PipelineError/fileNotFound(path:what:)``, ``PipelineError/invalidPNG(path:reason:)``,
    ///   or ``PipelineError/invalidMask(source:reason:)``.
    public init(pngFile path: String) throws(PipelineError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .fileNotFound(path: path, what: "mask image")
        }
        try self.init(image: RGBImage.decodePNG(data, source: path).image, source: path)
    }

    /// The number of pixels to repaint.
    public var repaintedPixelCount: Int { values.reduce(0) { $0 + Int($1) } }

    /// Checks that the mask covers an image of the given size.
    ///
    /// - Throws: ``PipelineError/invalidMask(source:reason:)`` naming both sizes.
    func checkSize(width: Int, height: Int) throws(PipelineError) {
        guard self.width == width, self.height == height else {
            throw .invalidMask(source: source, reason: "the mask is \(self.width)×\(self.height) but the init image is "
                + "\(width)×\(height); they must be the same size")
        }
    }

    /// The mask at latent resolution, `[1, 1, latentHeight, latentWidth]`, as diffusers'
    /// `F.interpolate(mask, size=(H/8, W/8))` (mode "nearest") makes it: latent pixel `(y, x)` takes
    /// pixel `(⌊y·s⌋, ⌊x·s⌋)` with `s = in / out` in float32, the top-left pixel of each 8×8 block.
    func latentMask(latentWidth: Int, latentHeight: Int) -> Tensor {
        let rows = Self.nearestIndices(output: latentHeight, input: height)
        let columns = Self.nearestIndices(output: latentWidth, input: width)
        return Tensor(shape: [1, 1, latentHeight, latentWidth]) { buffer in
            for (y, row) in rows.enumerated() {
                for (x, column) in columns.enumerated() {
                    buffer[y * latentWidth + x] = values[row * width + column]
                }
            }
        }
    }

    /// The init image with the area to repaint set to 0 (mid-gray) in −1…1, `[1, 3, H, W]`:
    /// diffusers' `masked_image = init_image * (mask_condition < 0.5)`.
    func maskedImage(_ image: RGBImage) -> Tensor {
        var tensor = image.normalizedTensor
        let plane = width * height
        tensor.withUnsafeMutableBufferPointer { buffer in
            for c in 0..<3 {
                for i in 0..<plane where values[i] >= 0.5 { buffer[c * plane + i] = 0 }
            }
        }
        return tensor
    }

    /// torch's nearest source index for each output index (`upsample_nearest` with a float32 scale).
    static func nearestIndices(output: Int, input: Int) -> [Int] {
        if output == input { return Array(0..<output) }
        let scale = Float(input) / Float(output)
        return (0..<output).map { min(Int((Float($0) * scale).rounded(.down)), input - 1) }
    }
}
