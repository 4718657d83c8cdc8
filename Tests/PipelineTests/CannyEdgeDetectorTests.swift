import Foundation
import StableDiffusion
import Testing
import _TestSupport

/// One case of `canny/cases.json` (`Tests/Fixtures/generators/canny.py`).
struct CannyCase: Decodable, Sendable, CustomTestStringConvertible {
    var image: String
    var low: Double
    var high: Double
    var edges: String
    var edge_pixels: Int

    var testDescription: String { edges }
}

enum CannyFixtures {
    struct Manifest: Decodable { var cases: [CannyCase] }
    static let manifest: Result<Manifest, any Error> = Result {
        try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: Fixtures.path("canny/cases.json"))))
    }
    static var cases: [CannyCase] { (try? manifest.get())?.cases ?? [] }
}

/// `CannyEdgeDetector` against OpenCV's `cv2.Canny` on small real photographs.
@Suite("Canny edges against OpenCV")
struct CannyEdgeDetectorTests {
    @Test("The fixtures cover a gray and colour photographs, two threshold pairs and swapped thresholds")
    func manifestCoversTheMatrix() throws {
        let cases = try CannyFixtures.manifest.get().cases
        #expect(Set(cases.map(\.image)).count == 4)
        #expect(cases.contains { $0.low > $0.high })
        #expect(cases.allSatisfy { $0.edge_pixels > 500 })  // edges worth comparing
    }

    /// The issue asks for ≥ 99 % of pixels identical to OpenCV's; the detector reproduces OpenCV's
    /// integer arithmetic step by step, so anything but an identical image is a bug (measured: 100 %
    /// of the pixels and of the edge pixels, on every case). The edge image must also be
    /// white-on-black in all three channels.
    @Test("Identical to cv2.Canny", arguments: CannyFixtures.cases)
    func matchesOpenCV(_ run: CannyCase) throws {
        let photo = try RGBImage(pngFile: Fixtures.path("canny/\(run.image)"))
        let expected = try RGBImage(pngFile: Fixtures.path("canny/\(run.edges)"))
        let edges = try photo.cannyEdges(low: run.low, high: run.high)
        #expect(edges.width == photo.width && edges.height == photo.height)
        #expect(edges.pixels.allSatisfy { $0 == 0 || $0 == 255 })
        let ours = stride(from: 0, to: edges.pixels.count, by: 3).map { edges.pixels[$0] }
        let theirs = stride(from: 0, to: expected.pixels.count, by: 3).map { expected.pixels[$0] }
        #expect(theirs.filter { $0 == 255 }.count == run.edge_pixels)
        let union = zip(ours, theirs).filter { $0 == 255 || $1 == 255 }
        let agreeing = union.filter { $0 == $1 }.count
        #expect(agreeing == union.count, "\(run.edges): \(agreeing) of \(union.count) edge pixels agree")
        #expect(edges == expected, "\(run.edges): the three channels must carry the same edges")
    }

    @Test("Negative or non-finite thresholds are typed errors naming the threshold")
    func invalidThresholds() {
        for (low, high, name) in [(-1.0, 200.0, "cannyLowThreshold"), (100, -0.5, "cannyHighThreshold"),
                                  (.nan, 200, "cannyLowThreshold"), (100, .infinity, "cannyHighThreshold")] {
            #expect {
                _ = try CannyEdgeDetector(lowThreshold: low, highThreshold: high)
            } throws: { error in
                guard case PipelineError.invalidParameter(let parameter, _, _) = error else { return false }
                return parameter == name
            }
        }
    }

    /// OpenCV swaps a low threshold above the high one; so does the detector.
    @Test("A low threshold above the high one is swapped")
    func swapsThresholds() throws {
        let detector = try CannyEdgeDetector(lowThreshold: 200, highThreshold: 100)
        #expect(detector.lowThreshold == 100 && detector.highThreshold == 200)
    }

    @Test("Flat, one-pixel and one-row images give no edges; a step gives a line")
    func smallImages() throws {
        let flat = RGBImage(width: 7, height: 5, pixels: .init(repeating: 90, count: 7 * 5 * 3))
        #expect(try flat.cannyEdges().pixels.allSatisfy { $0 == 0 })
        let single = RGBImage(width: 1, height: 1, pixels: [255, 0, 0])
        #expect(try single.cannyEdges().pixels == [0, 0, 0])
        let row = RGBImage(width: 4, height: 1, pixels: [0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 255, 255])
        #expect(try row.cannyEdges().pixels.enumerated().filter { $0.element == 255 }.map { $0.offset / 3 } == [1, 1, 1])  // cv2.Canny: [0, 255, 0, 0]
        // A vertical black/white step: Sobel's |dx| is 4 · 255 on the two columns beside it;
        // suppression keeps the left one (`>` on the left, `≥` on the right), on every row.
        let step = RGBImage(width: 6, height: 4, pixels: (0..<24).flatMap { index in
            Array(repeating: UInt8(index % 6 < 3 ? 0 : 255), count: 3)
        })
        let edges = try step.cannyEdges()
        for y in 0..<4 {
            #expect((0..<6).map { edges.pixels[(y * 6 + $0) * 3] } == [0, 0, 255, 0, 0, 0])
        }
    }
}

/// `ControlNetInput.preprocessor` is the same as preprocessing the image by hand.
@Suite("ControlNet with a built-in preprocessor")
struct ControlPreprocessorTests {
    @Test("A Canny-preprocessed photo generates exactly what its edges given by hand do")
    func cannyMatchesByHand() throws {
        let pipeline = try ControlNetFixtures.pipeline()
        let model = try ControlNetFixtures.folder("controlnet-a")
        let photo = try RGBImage(pngFile: Fixtures.path("canny/coffee.png"))
        var parameters = GenerationParameters(steps: 1, guidanceScale: 3, width: 64, height: 64, seed: 7)
        parameters.controlNets = [ControlNetInput(model: model, image: photo, name: "canny",
                                                  preprocessor: .canny(try CannyEdgeDetector(lowThreshold: 50, highThreshold: 150)))]
        let preprocessed = try pipeline.generate(prompt: "a cup", parameters: parameters)
        parameters.controlNets = [ControlNetInput(model: model, image: try photo.cannyEdges(low: 50, high: 150), name: "canny")]
        let byHand = try pipeline.generate(prompt: "a cup", parameters: parameters)
        #expect(preprocessed.latents.scalars == byHand.latents.scalars)
        #expect(preprocessed.parametersText.contains("Module: canny, Model: canny, Weight: 1, Resize Mode: Just Resize, Threshold A: 50, Threshold B: 150,"))
        #expect(byHand.parametersText.contains("Module: none, Model: canny"))
        // The photo itself (not its edges) would guide differently: the preprocessing took place.
        parameters.controlNets = [ControlNetInput(model: model, image: photo, name: "canny")]
        let unprocessed = try pipeline.generate(prompt: "a cup", parameters: parameters)
        #expect(unprocessed.latents.scalars != byHand.latents.scalars)
    }
}
