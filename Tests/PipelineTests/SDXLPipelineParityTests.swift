import Foundation
import StableDiffusion
import Testing
import _TestSupport

/// One run recorded from diffusers' `StableDiffusionXLPipeline` / `StableDiffusionXLImg2ImgPipeline` by
/// `Tests/Fixtures/generators/sdxl.py` (an entry of `sdxl/runs/cases.json`).
struct SDXLRunCase: Codable, Sendable, CustomStringConvertible {
    /// `sdxl-tiny` or `sdxlturbo-tiny` (SDXL-Turbo's layout on sdxl-tiny's weights).
    var model: String
    var name: String
    /// `txt2img` or `img2img`.
    var kind: String
    /// A CLI scheduler name, or nil for the model's own scheduler.
    var scheduler: String?
    var seed: UInt64
    /// nil: no negative prompt given (the zeros rule applies); "" is an explicit empty one.
    var negativePrompt: String?
    /// nil: the family's default (5.0).
    var guidance: Float?
    var images: Int
    var clipSkip: Int?
    var steps: Int?
    /// nil: the family's default (0.3).
    var strength: Double?
    var initImage: String?
    var fixedLatents: Bool
    var width: Int
    var height: Int
    var imageFiles: [String]
    /// diffusers' `original_size` / `target_size` as (height, width) and `crops_coords_top_left` as
    /// (top, left), when the case sets them.
    var originalSize: [Int]?
    var cropsCoordsTopLeft: [Int]?
    var targetSize: [Int]?

    var description: String { name }

    enum CodingKeys: String, CodingKey {
        case model, name, kind, scheduler, seed, guidance, images, steps, strength, width, height
        case negativePrompt = "negative_prompt", clipSkip = "clip_skip", initImage = "init_image"
        case fixedLatents = "fixed_latents", imageFiles = "image_files"
        case originalSize = "original_size", cropsCoordsTopLeft = "crops_coords_top_left", targetSize = "target_size"
    }
}

/// `sdxl/runs/cases.json`.
struct SDXLRunManifest: Codable, Sendable {
    var prompt: String
    var steps: Int
    var cases: [SDXLRunCase]
}

enum SDXLRunFixtures {
    static let manifest: Result<SDXLRunManifest, any Error> = Result {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("sdxl/runs/cases.json")))
        return try JSONDecoder().decode(SDXLRunManifest.self, from: data)
    }
    static var cases: [SDXLRunCase] { (try? manifest.get())?.cases ?? [] }

    /// The folder as a user loads it (no options: fp16-only components are found on their own).
    static let sdxl = Result { () throws(PipelineError) in
        try StableDiffusionPipeline(contentsOf: Fixtures.path("pipeline/sdxl-tiny"))
    }
    static let turbo = Result { () throws(PipelineError) in
        try StableDiffusionPipeline(contentsOf: Fixtures.path("pipeline/sdxlturbo-tiny"))
    }

    static func pipeline(for run: SDXLRunCase) throws -> StableDiffusionPipeline {
        try run.model == "sdxlturbo-tiny" ? turbo.get() : sdxl.get()
    }

    static func tensor(_ run: SDXLRunCase, _ name: String) throws -> Tensor {
        try Fixtures.tensor("sdxl/runs/latents.safetensors", "\(run.name)/\(name)")
    }

    /// The parameters that reproduce a case: only what the case sets; the rest are the family's defaults.
    static func parameters(for run: SDXLRunCase, on pipeline: StableDiffusionPipeline) throws -> GenerationParameters {
        let manifest = try manifest.get()
        var parameters = GenerationParameters(seed: run.seed)
        parameters.negativePrompt = run.negativePrompt
        parameters.steps = run.steps ?? manifest.steps
        parameters.guidanceScale = run.guidance
        parameters.randomSource = .torch
        parameters.numberOfImages = run.images
        parameters.clipSkip = run.clipSkip
        if run.kind == "txt2img" && (run.width != 64 || run.height != 64) {
            parameters.width = run.width
            parameters.height = run.height
        }
        if let size = run.originalSize { parameters.microConditioning.originalSize = PixelSize(width: size[1], height: size[0]) }
        if let crop = run.cropsCoordsTopLeft { parameters.microConditioning.cropTopLeft = PixelPoint(x: crop[1], y: crop[0]) }
        if let size = run.targetSize { parameters.microConditioning.targetSize = PixelSize(width: size[1], height: size[0]) }
        if let name = run.scheduler { parameters.scheduler = try pipeline.scheduler(named: name) }
        if run.fixedLatents { parameters.initialLatents = try tensor(run, "initial_latents") }
        if let image = run.initImage {
            parameters.initImage = try RGBImage(pngFile: Fixtures.path("sdxl/runs/\(image)"))
            parameters.strength = run.strength
        }
        return parameters
    }
}

/// End to end against diffusers 0.42.1's SDXL pipelines on the tiny SDXL-like folder: every scheduler from
/// fixed non-square latents, seeded runs with no negative prompt (zeros), an explicit empty one, two images,
/// clip skip, no guidance, img2img at SDXL's default strength, and SDXL-Turbo's layout (1 and 4 steps,
/// guidance 0, img2img).
///
/// Tolerances: those of ``PipelineParityTests`` (the same float32 summation-order argument; the runs are
/// as long and guidance is at most 7). Measured (debug build, this machine): latents max |Δ| ≤ 1.9e-4
/// (LCM, scale 80), relative to scale ≤ 4.8e-6 (img2img, euler-a); pixels ≥ 99.978 % identical bytes, no
/// byte off by more than 1. The zeros rule is visible: `seeded-sdxl-default` (no negative prompt) and
/// `seeded-sdxl-empty-negative` differ from each other by far more than these bounds.
@Suite("SDXL pipeline parity with diffusers")
struct SDXLPipelineParityTests {
    @Test("The manifest covers every scheduler, the zeros rule, img2img and Turbo")
    func manifestCoversTheMatrix() throws {
        let cases = try SDXLRunFixtures.manifest.get().cases
        let fixed = Set(cases.filter { $0.fixedLatents }.compactMap(\.scheduler))
        #expect(fixed == Set(SchedulerName.allCases.map(\.rawValue)))
        #expect(cases.contains { $0.negativePrompt == nil && $0.kind == "txt2img" && $0.guidance == nil })
        #expect(cases.contains { $0.negativePrompt == "" })
        #expect(cases.contains { $0.kind == "img2img" && $0.strength == nil })
        #expect(Set(cases.filter { $0.model == "sdxlturbo-tiny" }.compactMap(\.steps)) == [1, 4, 2])
        #expect(cases.contains { $0.originalSize != nil && $0.cropsCoordsTopLeft != nil && $0.targetSize != nil })
    }

    /// No negative prompt (zeros) and an explicit "" (encoded) must give different pictures, each matching
    /// its own diffusers run above; this pins that the difference is real and not within tolerance.
    @Test("The zeros rule changes the result")
    func zerosRuleMatters() throws {
        let cases = try SDXLRunFixtures.manifest.get().cases
        let zeros = try #require(cases.first { $0.name == "seeded-sdxl-default" })
        let empty = try #require(cases.first { $0.name == "seeded-sdxl-empty-negative" })
        let difference = Comparison(try SDXLRunFixtures.tensor(zeros, "latents"), try SDXLRunFixtures.tensor(empty, "latents"))
        #expect(difference.maxAbsoluteError > 100 * PipelineParityTests.latentAbsoluteTolerance, "\(difference)")
    }

    @Test("Final latents and pixels match diffusers", arguments: SDXLRunFixtures.cases)
    func matchesDiffusers(_ run: SDXLRunCase) throws {
        let pipeline = try SDXLRunFixtures.pipeline(for: run)
        let result = try pipeline.generate(prompt: try SDXLRunFixtures.manifest.get().prompt,
                                           parameters: try SDXLRunFixtures.parameters(for: run, on: pipeline))
        let expected = try SDXLRunFixtures.tensor(run, "latents")
        let latents = Comparison(result.latents, expected)
        #expect(latents.shapesMatch, "\(run.name): latents \(result.latents.shape) vs \(expected.shape)")
        #expect(latents.maxAbsoluteError <= PipelineParityTests.latentAbsoluteTolerance, "\(run.name): \(latents)")
        #expect(latents.relativeToScale <= PipelineParityTests.latentRelativeTolerance, "\(run.name): \(latents)")
        #expect(result.images.count == run.imageFiles.count)
        for (image, file) in zip(result.images, run.imageFiles) {
            let reference = try RGBImage(pngFile: Fixtures.path("sdxl/runs/\(file)"))
            let pixels = PixelComparison(image, reference)
            #expect(pixels.identicalFraction >= PipelineParityTests.identicalPixelFraction, "\(file): \(pixels)")
            #expect(pixels.maxDifference <= PipelineParityTests.maximumPixelDifference, "\(file): \(pixels)")
        }
    }
}
