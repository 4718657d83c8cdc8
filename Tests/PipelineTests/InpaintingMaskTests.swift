import Foundation
import TensorModule
import Testing
import _TestSupport
@testable import Pipeline

@Suite("Inpainting masks: diffusers' mask processing, errors, paste-back")
struct InpaintingMaskTests {
    static let maskFiles = ["mask-rect-64.png", "mask-soft-64.png", "mask-rect-64x48.png"]

    @Test("Gray, tinted RGB and RGBA masks binarize and downsample exactly as diffusers' mask processor",
          arguments: maskFiles)
    func matchesDiffusers(file: String) throws {
        // Exact: gray conversion is integer arithmetic, and the threshold and nearest sampling are
        // comparisons and index arithmetic (the fixtures hold 0 and 1 exactly in fp16).
        let mask = try InpaintingMask(pngFile: Fixtures.path("inpainting/\(file)"))
        let full = try Fixtures.tensor("inpainting/masks.safetensors", "\(file)/full")
        #expect(full.shape == [1, 1, mask.height, mask.width])
        #expect(mask.values == full.scalars, "\(file): binarized mask differs from diffusers'")
        let expectedLatent = try Fixtures.tensor("inpainting/masks.safetensors", "\(file)/latent")
        let latent = mask.latentMask(latentWidth: mask.width / 8, latentHeight: mask.height / 8)
        #expect(latent.shape == expectedLatent.shape && latent.scalars == expectedLatent.scalars, "\(file): latent mask differs")
        #expect(mask.repaintedPixelCount > 0 && mask.repaintedPixelCount < mask.width * mask.height)
    }

    @Test("The soft mask has pixels on both sides of the threshold, so the fixture can tell 127 from 128")
    func thresholdIsExercised() throws {
        let (image, _) = try RGBImage.decodePNG(Data(contentsOf: URL(fileURLWithPath: Fixtures.path("inpainting/mask-soft-64.png"))))
        var near = 0
        for i in 0..<(image.width * image.height) {
            let gray = (Int(image.pixels[3 * i]) * 19595 + Int(image.pixels[3 * i + 1]) * 38470 + Int(image.pixels[3 * i + 2]) * 7471 + 0x8000) >> 16
            if (120...135).contains(gray) { near += 1 }
        }
        #expect(near >= 20, "only \(near) pixels near the threshold")
    }

    @Test("Gray 128 repaints, 127 keeps; an all-black or empty mask is an error naming its source")
    func thresholdAndErrors() throws {
        let mask = try InpaintingMask(gray: [127, 128, 0, 255], width: 2, height: 2, source: "m.png")
        #expect(mask.values == [0, 1, 0, 1])
        #expect(throws: PipelineError.self) { _ = try InpaintingMask(gray: [127, 0, 3, 100], width: 2, height: 2) }
        do {
            _ = try InpaintingMask(gray: [UInt8](repeating: 0, count: 16), width: 4, height: 4, source: "black.png")
            Issue.record("an all-black mask was accepted")
        } catch let PipelineError.invalidMask(source, reason) {
            #expect(source == "black.png" && reason.contains("all black"))
        }
        do {
            _ = try InpaintingMask(gray: [], width: 0, height: 0, source: "empty.png")
            Issue.record("an empty mask was accepted")
        } catch let PipelineError.invalidMask(source, reason) {
            #expect(source == "empty.png" && reason.contains("empty"))
        }
    }

    @Test("A mask of another size than the init image is an error naming both sizes")
    func sizeMismatch() throws {
        let mask = try InpaintingMask(pngFile: Fixtures.path("inpainting/mask-rect-64x48.png"))
        do {
            try mask.checkSize(width: 64, height: 64)
            Issue.record("a 64×48 mask was accepted for a 64×64 image")
        } catch let PipelineError.invalidMask(_, reason) {
            #expect(reason.contains("64×48") && reason.contains("64×64"))
        }
        try mask.checkSize(width: 64, height: 48)
    }

    @Test("The masked image is the init image in −1…1 with the repaint area set to 0 (mid-gray)")
    func maskedImage() throws {
        let image = try RGBImage(pngFile: Fixtures.path("inpainting/init-64.png"))
        let mask = try InpaintingMask(pngFile: Fixtures.path("inpainting/mask-rect-64.png"))
        let masked = mask.maskedImage(image).scalars
        let original = image.normalizedTensor.scalars
        let plane = 64 * 64
        for c in 0..<3 {
            for i in 0..<plane {
                #expect(masked[c * plane + i] == (mask.values[i] == 1 ? 0 : original[c * plane + i]))
            }
        }
    }

    @Test("Paste-back keeps the original outside the mask and the generation inside; blur fades the edge")
    func pasteBack() throws {
        let original = try RGBImage(pngFile: Fixtures.path("inpainting/init-64.png"))
        let generated = RGBImage(width: 64, height: 64, pixels: [UInt8](repeating: 7, count: 64 * 64 * 3))
        let mask = try InpaintingMask(pngFile: Fixtures.path("inpainting/mask-rect-64.png"))  // x 13…44, y 20…49
        let hard = mask.pastingBack(original: original, onto: generated, blur: 0)
        for i in 0..<(64 * 64) {
            let expected = mask.values[i] == 1 ? generated.pixels[3 * i] : original.pixels[3 * i]
            #expect(hard.pixels[3 * i] == expected)
        }
        let soft = mask.pastingBack(original: original, onto: generated, blur: 4)
        func pixel(_ image: RGBImage, _ x: Int, _ y: Int) -> UInt8 { image.pixels[3 * (y * 64 + x)] }
        // Far from the rectangle's edge (more than the 11-tap radius): unchanged on both sides.
        #expect(pixel(soft, 2, 2) == pixel(original, 2, 2))
        #expect(pixel(soft, 28, 34) == 7)
        // Just outside the edge the overlay is partly transparent: the original no longer shows fully.
        let outside = (x: 11, y: 34)
        #expect(pixel(soft, outside.x, outside.y) != pixel(original, outside.x, outside.y))
        #expect(pixel(hard, outside.x, outside.y) == pixel(original, outside.x, outside.y))
    }

    @Test("The blur kernel is OpenCV's: normalised, 2·⌊2.5σ + 0.5⌋ + 1 taps, reflected borders")
    func gaussianBlur() {
        // A single 1 in a row of 21: the blurred row is the kernel itself, summing to 1.
        var row = [Float](repeating: 0, count: 21)
        row[10] = 1
        let blurred = InpaintingMask.gaussianBlurred(row, width: 21, height: 1, sigma: 2)
        #expect(abs(blurred.reduce(0, +) - 1) < 1e-6)  // float rounding of 11 products
        #expect(blurred[10 - 5] > 0 && blurred[10 - 6] == 0 && blurred[10 + 5] > 0 && blurred[10 + 6] == 0)
        // Constant input stays constant, also at the borders (reflection, no zero padding).
        let flat = InpaintingMask.gaussianBlurred([Float](repeating: 1, count: 35), width: 7, height: 5, sigma: 3)
        #expect(flat.allSatisfy { abs($0 - 1) < 1e-6 })
    }
}
