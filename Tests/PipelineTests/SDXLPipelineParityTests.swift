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
    /// The refiner's scores, when the case sets them.
    var aestheticScore: Double?
    var negativeAestheticScore: Double?

    var description: String { name }

    enum CodingKeys: String, CodingKey {
        case model, name, kind, scheduler, seed, guidance, images, steps, strength, width, height
        case negativePrompt = "negative_prompt", clipSkip = "clip_skip", initImage = "init_image"
        case fixedLatents = "fixed_latents", imageFiles = "image_files"
        case originalSize = "original_size", cropsCoordsTopLeft = "crops_coords_top_left", targetSize = "target_size"
        case aestheticScore = "aesthetic_score", negativeAestheticScore = "negative_aesthetic_score"
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

    static let refiner = Result { () throws(PipelineError) in
        try StableDiffusionPipeline(contentsOf: Fixtures.path("pipeline/sdxl-refiner-tiny"))
    }

    static func pipeline(for run: SDXLRunCase) throws -> StableDiffusionPipeline {
        switch run.model {
        case "sdxlturbo-tiny": return try turbo.get()
        case "sdxl-refiner-tiny": return try refiner.get()
        default: return try sdxl.get()
        }
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
        if let score = run.aestheticScore { parameters.microConditioning.aestheticScore = score }
        if let score = run.negativeAestheticScore { parameters.microConditioning.negativeAestheticScore = score }
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
/// guidance 0, img2img), and the refiner as an img2img model (encoder 2 only, aesthetic-score time ids, the
/// published refiner's `force_zeros_for_empty_prompt` false).
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
        #expect(cases.contains { $0.model == "sdxl-refiner-tiny" && $0.aestheticScore == nil && $0.negativePrompt == nil })
        #expect(cases.contains { $0.model == "sdxl-refiner-tiny" && $0.aestheticScore != nil })
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

/// Loading behaviour of SDXL folders that the diffusers runs do not cover.
@Suite("SDXL folders: model_index options and load-time checks")
struct SDXLLoadingTests {
    /// A scratch copy of `pipeline/sdxl-tiny` whose component folders link to the fixture's, with
    /// `edit` applied to the copy's files.
    static func scratchFolder(_ edit: (URL) throws -> Void) throws -> URL {
        let source = URL(fileURLWithPath: Fixtures.path("pipeline/sdxl-tiny"))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sdxl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for component in ["scheduler", "text_encoder", "text_encoder_2", "tokenizer", "tokenizer_2", "unet", "vae"] {
            try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent(component),
                                                       withDestinationURL: source.appendingPathComponent(component).resolvingSymlinksInPath())
        }
        try FileManager.default.copyItem(at: source.appendingPathComponent("model_index.json"),
                                         to: folder.appendingPathComponent("model_index.json"))
        try edit(folder)
        return folder
    }

    static func editJSON(_ url: URL, _ change: (inout [String: Any]) -> Void) throws {
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        change(&object)
        try JSONSerialization.data(withJSONObject: object).write(to: url)
    }

    @Test("The family, its defaults and the default size come from the folder")
    func familyAndDefaults() throws {
        let pipeline = try SDXLRunFixtures.sdxl.get()
        #expect(pipeline.family == .stableDiffusionXL)
        #expect(pipeline.family.defaultGuidanceScale == 5.0 && pipeline.family.defaultStrength == 0.3)
        #expect(pipeline.defaultImageSize == 64)  // sample_size 8 × the VAE's factor 8
        #expect(pipeline.conditioner.textEncoders.count == 2)
        #expect((pipeline.conditioner as? SDXLPromptConditioner)?.forceZerosForEmptyPrompt == true)
    }

    /// With `force_zeros_for_empty_prompt: false`, no negative prompt is encoded as "": the result is then
    /// exactly the explicit-empty-negative run's.
    @Test("force_zeros_for_empty_prompt false encodes a missing negative prompt as \"\"")
    func forceZerosOff() throws {
        let folder = try Self.scratchFolder { folder in
            try Self.editJSON(folder.appendingPathComponent("model_index.json")) { $0["force_zeros_for_empty_prompt"] = false }
        }
        defer { try? FileManager.default.removeItem(at: folder) }
        let pipeline = try StableDiffusionPipeline(contentsOf: folder.path)
        let manifest = try SDXLRunFixtures.manifest.get()
        let run = try #require(manifest.cases.first { $0.name == "seeded-sdxl-default" })
        var parameters = try SDXLRunFixtures.parameters(for: run, on: pipeline)
        parameters.steps = 2
        let missing = try pipeline.generate(prompt: manifest.prompt, parameters: parameters)
        parameters.negativePrompt = ""
        let empty = try pipeline.generate(prompt: manifest.prompt, parameters: parameters)
        #expect(missing.latents.scalars == empty.latents.scalars)
        let zeros = try SDXLRunFixtures.sdxl.get().generate(prompt: manifest.prompt, parameters: {
            var p = parameters
            p.negativePrompt = nil
            return p
        }())
        #expect(zeros.latents.scalars != missing.latents.scalars)
    }

    @Test("A second text encoder without the projection head is a load error")
    func secondEncoderNeedsProjection() throws {
        let folder = try Self.scratchFolder { folder in
            let encoder = folder.appendingPathComponent("text_encoder_2")
            try FileManager.default.removeItem(at: encoder)
            try FileManager.default.createDirectory(at: encoder, withIntermediateDirectories: true)
            let source = URL(fileURLWithPath: Fixtures.path("pipeline/sdxl-tiny/text_encoder_2"))
            try FileManager.default.createSymbolicLink(at: encoder.appendingPathComponent("model.fp16.safetensors"),
                                                       withDestinationURL: source.appendingPathComponent("model.fp16.safetensors"))
            try FileManager.default.copyItem(at: source.appendingPathComponent("config.json"),
                                             to: encoder.appendingPathComponent("config.json"))
            try Self.editJSON(encoder.appendingPathComponent("config.json")) { $0["architectures"] = ["CLIPTextModel"] }
        }
        defer { try? FileManager.default.removeItem(at: folder) }
        let error = #expect(throws: PipelineError.self) { try StableDiffusionPipeline(contentsOf: folder.path) }
        // The strict loader finds the head's tensor unused, naming it.
        #expect(error?.description.contains("text_projection.weight") == true, "\(String(describing: error))")
    }
}
