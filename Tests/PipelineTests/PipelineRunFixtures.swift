import Foundation
import StableDiffusion
import Testing
import _TestSupport

/// One end-to-end run recorded from diffusers by `Tests/Fixtures/generators/pipeline_runs.py`
/// (an entry of `pipeline_runs/cases.json`).
struct PipelineRunCase: Codable, Sendable, CustomStringConvertible {
    var name: String
    /// `sd15-tiny`, `sd2-tiny` or `sdturbo-tiny` (SD-Turbo's layout on sd2-tiny's weights).
    var model: String
    /// The weight variant the folder was loaded with (`fp16` for sd2-tiny).
    var variant: String?
    /// Whether the reference loaded `pipeline/<model>.safetensors` with the folder's configs.
    var singleFile: Bool
    /// `txt2img` or `img2img`.
    var kind: String
    /// A CLI scheduler name, or nil for the model's own scheduler.
    var scheduler: String?
    var seed: UInt64
    var guidance: Float
    var images: Int
    var clipSkip: Int?
    /// The step count when it is not the manifest's.
    var steps: Int?
    var strength: Double?
    /// The img2img input under `pipeline_runs/`.
    var initImage: String?
    /// Whether `<name>/initial_latents` holds the starting latents.
    var fixedLatents: Bool
    var width: Int
    var height: Int
    /// The reference images under `pipeline_runs/`, one per generated image.
    var imageFiles: [String]

    var description: String { name }

    enum CodingKeys: String, CodingKey {
        case name, model, variant, kind, scheduler, seed, guidance, images, strength, width, height, steps
        case singleFile = "single_file", clipSkip = "clip_skip", initImage = "init_image"
        case fixedLatents = "fixed_latents", imageFiles = "image_files"
    }
}

/// `pipeline_runs/cases.json`.
struct PipelineRunManifest: Codable, Sendable {
    var prompt: String
    var negativePrompt: String
    var steps: Int
    var cases: [PipelineRunCase]

    enum CodingKeys: String, CodingKey {
        case prompt, steps, cases
        case negativePrompt = "negative_prompt"
    }
}

/// The manifest and the tiny pipelines, each loaded once per test process (Swift's `static let` is
/// lazy and thread-safe, so parallel test cases share one load).
enum PipelineRunFixtures {
    static let manifest: Result<PipelineRunManifest, any Error> = Result {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("pipeline_runs/cases.json")))
        return try JSONDecoder().decode(PipelineRunManifest.self, from: data)
    }

    /// The cases, for parameterized tests (empty if the manifest is unreadable, which
    /// `PipelineParityTests.manifestCoversTheMatrix` reports).
    static var cases: [PipelineRunCase] { (try? manifest.get())?.cases ?? [] }

    static let sd15Folder = Result { () throws(PipelineError) in
        try StableDiffusionPipeline(contentsOf: Fixtures.path("pipeline/sd15-tiny"))
    }
    static let sd2Folder = Result { () throws(PipelineError) in
        try StableDiffusionPipeline(contentsOf: Fixtures.path("pipeline/sd2-tiny"), options: LoadOptions(variant: "fp16"))
    }
    /// SD-Turbo's folder as published (loaded with default options, as a user would).
    static let turboFolder = Result { () throws(PipelineError) in
        try StableDiffusionPipeline(contentsOf: Fixtures.path("pipeline/sdturbo-tiny"))
    }
    static let sd15SingleFile = Result { () throws(PipelineError) in
        try StableDiffusionPipeline(contentsOf: Fixtures.path("pipeline/sd15-tiny.safetensors"),
                                    options: LoadOptions(configFolder: Fixtures.path("pipeline/sd15-tiny")))
    }
    static let sd2SingleFile = Result { () throws(PipelineError) in
        try StableDiffusionPipeline(contentsOf: Fixtures.path("pipeline/sd2-tiny.safetensors"),
                                    options: LoadOptions(configFolder: Fixtures.path("pipeline/sd2-tiny")))
    }

    struct UnknownModel: Error { var name: String }

    /// The pipeline a case was recorded with.
    static func pipeline(for run: PipelineRunCase) throws -> StableDiffusionPipeline {
        switch (run.model, run.singleFile) {
        case ("sd15-tiny", false): return try sd15Folder.get()
        case ("sd15-tiny", true): return try sd15SingleFile.get()
        case ("sd2-tiny", false): return try sd2Folder.get()
        case ("sd2-tiny", true): return try sd2SingleFile.get()
        case ("sdturbo-tiny", false): return try turboFolder.get()
        default: throw UnknownModel(name: run.model)
        }
    }

    /// A reference tensor of a case (`latents` or `initial_latents`).
    static func tensor(_ run: PipelineRunCase, _ name: String) throws -> Tensor {
        try Fixtures.tensor("pipeline_runs/\(run.model).safetensors", "\(run.name)/\(name)")
    }

    /// The generation parameters that reproduce a case.
    static func parameters(for run: PipelineRunCase, on pipeline: StableDiffusionPipeline) throws -> GenerationParameters {
        let manifest = try manifest.get()
        var parameters = GenerationParameters(negativePrompt: manifest.negativePrompt, steps: run.steps ?? manifest.steps,
                                              guidanceScale: run.guidance, seed: run.seed)
        parameters.randomSource = .torch
        parameters.numberOfImages = run.images
        parameters.clipSkip = run.clipSkip
        if let name = run.scheduler { parameters.scheduler = try pipeline.scheduler(named: name) }
        if run.fixedLatents { parameters.initialLatents = try tensor(run, "initial_latents") }
        if let image = run.initImage {
            parameters.initImage = try RGBImage(pngFile: Fixtures.path("pipeline_runs/\(image)"))
            let strength = try #require(run.strength)
            parameters.strength = strength
        }
        return parameters
    }

    /// Runs a case on a pipeline.
    static func generate(_ run: PipelineRunCase, on pipeline: StableDiffusionPipeline) throws -> GenerationResult {
        let manifest = try manifest.get()
        return try pipeline.generate(prompt: manifest.prompt, parameters: parameters(for: run, on: pipeline))
    }
}

/// How two 8-bit images differ.
struct PixelComparison: CustomStringConvertible {
    /// The share of bytes (channels) that are equal.
    var identicalFraction: Double
    /// The largest difference of one channel.
    var maxDifference: Int

    init(_ actual: RGBImage, _ expected: RGBImage) {
        guard actual.width == expected.width, actual.height == expected.height else {
            identicalFraction = 0
            maxDifference = 255
            return
        }
        var same = 0, largest = 0
        for (a, e) in zip(actual.pixels, expected.pixels) {
            let difference = abs(Int(a) - Int(e))
            if difference == 0 { same += 1 }
            largest = max(largest, difference)
        }
        identicalFraction = Double(same) / Double(max(actual.pixels.count, 1))
        maxDifference = largest
    }

    var description: String { "\(identicalFraction * 100)% identical, max difference \(maxDifference)" }
}
