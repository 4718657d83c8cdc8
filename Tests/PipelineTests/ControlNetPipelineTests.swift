import Foundation
import StableDiffusion
import Testing
import _TestSupport

/// One case of `controlnet/cases.json` (`Tests/Fixtures/generators/controlnet.py`).
struct ControlNetRunCase: Decodable, Sendable, CustomTestStringConvertible {
    var name: String
    var nets: [String]
    var images: [String]
    var scales: [Float]
    var start: Double
    var end: Double
    var guidance: Float
    var width: Int
    var height: Int
    /// The width / height passed to diffusers (nil: taken from the first control image).
    var requestedWidth: Int?
    var requestedHeight: Int?

    enum CodingKeys: String, CodingKey {
        case name, nets, images, scales, start, end, guidance, width, height
        case requestedWidth = "requested_width", requestedHeight = "requested_height"
    }

    var testDescription: String { name }
}

struct ControlNetRunManifest: Decodable {
    var prompt: String
    var negative_prompt: String
    var steps: Int
    var seed: UInt64
    var cases: [ControlNetRunCase]
}

enum ControlNetFixtures {
    static let manifest: Result<ControlNetRunManifest, any Error> = Result {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("controlnet/cases.json")))
        return try JSONDecoder().decode(ControlNetRunManifest.self, from: data)
    }
    static var cases: [ControlNetRunCase] { (try? manifest.get())?.cases ?? [] }

    static func pipeline() throws -> StableDiffusionPipeline { try PipelineRunFixtures.sd15Folder.get() }

    static func parameters(_ run: ControlNetRunCase, loading load: (String) throws -> ControlNetModel) throws -> GenerationParameters {
        let manifest = try manifest.get()
        var parameters = GenerationParameters(negativePrompt: manifest.negative_prompt, steps: manifest.steps,
                                              guidanceScale: run.guidance, width: run.requestedWidth,
                                              height: run.requestedHeight, seed: manifest.seed)
        parameters.controlNets = try zip(zip(run.nets, run.images), run.scales).map { pair, scale in
            ControlNetInput(model: try load(pair.0), image: try RGBImage(pngFile: Fixtures.path("controlnet/\(pair.1)")),
                            scale: scale, start: run.start, end: run.end, name: pair.0)
        }
        return parameters
    }

    static func folder(_ name: String) throws -> ControlNetModel {
        try pipeline().loadControlNet(at: Fixtures.path("controlnet/\(name)"))
    }
}

/// diffusers' `StableDiffusionControlNetPipeline` (0.42.1) seed for seed on the tiny SD 1.x pipeline,
/// within the pipeline parity tolerances of ``PipelineParityTests`` (the same float32 computation,
/// with up to two ControlNet evaluations more per step, whose residuals are of the features' size).
@Suite("ControlNet pipeline parity with diffusers")
struct ControlNetPipelineTests {
    @Test("The manifest covers one net at two scales, two nets, a start/end window, no guidance and the image's size")
    func manifestCoversTheMatrix() throws {
        let cases = try ControlNetFixtures.manifest.get().cases
        #expect(Set(cases.filter { $0.nets.count == 1 && $0.start == 0 && $0.end == 1 && $0.guidance > 1 }.map(\.scales[0])) == [1.0, 0.5, 0.8])
        #expect(cases.contains { $0.nets.count == 2 && $0.scales[0] != $0.scales[1] })
        #expect(cases.contains { $0.start == 0.2 && $0.end == 0.8 })
        #expect(cases.contains { $0.guidance <= 1 })
        #expect(cases.contains { $0.requestedWidth == nil && $0.width == 80 && $0.height == 48 })
    }

    @Test("Final latents and pixels match diffusers", arguments: ControlNetFixtures.cases)
    func matchesDiffusers(_ run: ControlNetRunCase) throws {
        let parameters = try ControlNetFixtures.parameters(run, loading: ControlNetFixtures.folder)
        let manifest = try ControlNetFixtures.manifest.get()
        let result = try ControlNetFixtures.pipeline().generate(prompt: manifest.prompt, parameters: parameters)
        Self.compare(result, run)
    }

    /// The original-layout single file holds controlnet-a's fp16 weights exactly (the generator
    /// checks this with diffusers' own `from_single_file`), so it must reproduce controlnet-a's runs.
    @Test("The single-file ControlNet generates like its folder")
    func singleFile() throws {
        let run = try #require(ControlNetFixtures.cases.first { $0.name == "one-scale1" })
        let pipeline = try ControlNetFixtures.pipeline()
        let model = try pipeline.loadControlNet(at: Fixtures.path("controlnet/control_a.safetensors"))
        #expect(model.configuration.conditioningEmbeddingChannels == [8, 8, 16, 16])
        let parameters = try ControlNetFixtures.parameters(run) { _ in model }
        let result = try pipeline.generate(prompt: try ControlNetFixtures.manifest.get().prompt, parameters: parameters)
        Self.compare(result, run)
        let fromFolder = try pipeline.generate(prompt: try ControlNetFixtures.manifest.get().prompt,
                                               parameters: try ControlNetFixtures.parameters(run, loading: ControlNetFixtures.folder))
        #expect(result.latents.scalars == fromFolder.latents.scalars)
    }

    static func compare(_ result: GenerationResult, _ run: ControlNetRunCase) {
        do {
            let expected = try Fixtures.tensor("controlnet/runs.safetensors", "\(run.name)/latents")
            let latents = Comparison(result.latents, expected)
            #expect(latents.shapesMatch, "\(run.name): latents \(result.latents.shape) vs \(expected.shape)")
            #expect(latents.maxAbsoluteError <= PipelineParityTests.latentAbsoluteTolerance, "\(run.name): \(latents)")
            #expect(latents.relativeToScale <= PipelineParityTests.latentRelativeTolerance, "\(run.name): \(latents)")
            let reference = try RGBImage(pngFile: Fixtures.path("controlnet/\(run.name).png"))
            let image = try #require(result.images.first)
            #expect(image.width == run.width && image.height == run.height)
            let pixels = PixelComparison(image, reference)
            #expect(pixels.identicalFraction >= PipelineParityTests.identicalPixelFraction, "\(run.name): \(pixels)")
            #expect(pixels.maxDifference <= PipelineParityTests.maximumPixelDifference, "\(run.name): \(pixels)")
        } catch {
            Issue.record("\(run.name): \(error)")
        }
    }

    /// The ControlNet must matter: the same seed without it gives clearly different latents.
    @Test("Without the ControlNet the result differs")
    func controlMatters() throws {
        let run = try #require(ControlNetFixtures.cases.first { $0.name == "one-scale1" })
        var parameters = try ControlNetFixtures.parameters(run, loading: ControlNetFixtures.folder)
        parameters.controlNets = []
        let result = try ControlNetFixtures.pipeline().generate(prompt: try ControlNetFixtures.manifest.get().prompt, parameters: parameters)
        let expected = try Fixtures.tensor("controlnet/runs.safetensors", "one-scale1/latents")
        #expect(Comparison(result.latents, expected).maxAbsoluteError > 0.1)
    }
}

@Suite("Pillow's Lanczos resize")
struct LanczosResizeTests {
    /// Byte-identical to `Image.resize(size, Image.LANCZOS)` (Pillow, recorded by the generator) when
    /// shrinking one side while enlarging the other, and at the same size. (Pillow 13 runs the
    /// vertical pass first when the height shrinks much more than the width; see ControlNet.md.)
    @Test("Matches Pillow byte for byte", arguments: ["64x64", "33x71", "80x48"])
    func matchesPillow(_ size: String) throws {
        let image = try RGBImage(pngFile: Fixtures.path("controlnet/control-shapes.png"))
        let parts = size.split(separator: "x").compactMap { Int($0) }
        let resized = image.resizedLanczos(width: parts[0], height: parts[1])
        let expected = try RGBImage(pngFile: Fixtures.path("controlnet/lanczos-\(size).png"))
        #expect(resized.width == expected.width && resized.height == expected.height)
        let pixels = PixelComparison(resized, expected)
        #expect(pixels.identicalFraction == 1, "\(size): \(pixels)")
    }
}

@Suite("ControlNet errors")
struct ControlNetErrorTests {
    static let prompt = "a photo"

    @Test("A missing control image file is a typed error")
    func missingImage() throws {
        #expect(throws: PipelineError.self) { try RGBImage(pngFile: "/nonexistent/control.png") }
        #expect(throws: PipelineError.fileNotFound(path: "/nonexistent/controlnet", what: "ControlNet")) {
            try ControlNetFixtures.pipeline().loadControlNet(at: "/nonexistent/controlnet")
        }
    }

    /// A ControlNet whose config describes another base (SD 2.x's 1024-wide text, other block widths)
    /// is refused with a message naming both, before its weights are read.
    @Test("A ControlNet for another architecture is refused", arguments: [
        ("\"cross_attention_dim\": 32", "\"cross_attention_dim\": 1024", "SD 2.x"),
        ("\"block_out_channels\": [\n    16,\n    32\n  ]", "\"block_out_channels\": [\n    32,\n    64\n  ]", "block_out_channels [32, 64]"),
    ])
    func otherArchitecture(from: String, to: String, named: String) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("controlnet-other-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = Fixtures.path("controlnet/controlnet-a")
        try FileManager.default.copyItem(atPath: "\(source)/diffusion_pytorch_model.safetensors",
                                         toPath: folder.appendingPathComponent("diffusion_pytorch_model.safetensors").path)
        let config = try String(contentsOfFile: "\(source)/config.json", encoding: .utf8)
        #expect(config.contains(from))
        try config.replacingOccurrences(of: from, with: to).write(to: folder.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        let error = #expect(throws: PipelineError.self) { try ControlNetFixtures.pipeline().loadControlNet(at: folder.path) }
        guard case .incompatibleControlNet(_, let reason)? = error else {
            Issue.record("expected incompatibleControlNet, got \(String(describing: error))")
            return
        }
        #expect(reason.contains(named), "\(reason)")
    }

    @Test("A ControlNet image with the wrong channel count is refused")
    func wrongChannels() throws {
        let model = try ControlNetFixtures.folder("controlnet-a")
        #expect(throws: UNetError.self) {
            try model.residuals(latents: Tensor.zeros([1, 4, 8, 8]), timestep: 1, context: Tensor.zeros([1, 7, 32]),
                                controlImage: Tensor.zeros([1, 4, 64, 64]), scale: 1)
        }
    }

    @Test("Start/end outside 0 ≤ start < end ≤ 1 and non-finite scales are typed errors")
    func invalidWindow() throws {
        let pipeline = try ControlNetFixtures.pipeline()
        let model = try ControlNetFixtures.folder("controlnet-a")
        let image = try RGBImage(pngFile: Fixtures.path("controlnet/control-edges.png"))
        for (start, end, scale) in [(0.8, 0.2, Float(1)), (-0.1, 1.0, 1), (0.0, 1.5, 1), (0.0, 1.0, .nan)] {
            var parameters = GenerationParameters(steps: 1, seed: 1)
            parameters.controlNets = [ControlNetInput(model: model, image: image, scale: scale, start: start, end: end)]
            #expect(throws: PipelineError.self) { try pipeline.makeSession(prompt: Self.prompt, parameters: parameters) }
        }
    }
}
