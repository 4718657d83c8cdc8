import Foundation
import StableDiffusion
import Testing
import _TestSupport

/// One base → refiner run recorded by `Tests/Fixtures/generators/sdxl_checkpoints.py` (`sdxl/handover/cases.json`):
/// diffusers' `StableDiffusionXLPipeline(denoising_end=switch, output_type="latent")` on `sdxl-tiny`, then
/// `StableDiffusionXLImg2ImgPipeline(image=latents, denoising_start=switch)` on `sdxl-refiner-tiny`.
struct HandOverCase: Codable, Sendable, CustomStringConvertible {
    var name: String
    /// A CLI scheduler name for both models, or nil for their own (Euler).
    var scheduler: String?
    var steps: Int
    var `switch`: Double
    var seed: UInt64
    var negative: String?
    /// Whether one generator ran through both diffusers calls (the only stochastic case).
    var sharedGenerator: Bool
    /// Timesteps each side ran in diffusers.
    var baseSteps: Int
    var refinerSteps: Int
    var imageFile: String

    var description: String { name }

    enum CodingKeys: String, CodingKey {
        case name, scheduler, steps, `switch`, seed, negative
        case sharedGenerator = "shared_generator", baseSteps = "base_steps", refinerSteps = "refiner_steps", imageFile = "image_file"
    }
}

struct HandOverManifest: Codable, Sendable {
    var prompt: String
    var cases: [HandOverCase]
}

enum HandOverFixtures {
    static let manifest: Result<HandOverManifest, any Error> = Result {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("sdxl/handover/cases.json")))
        return try JSONDecoder().decode(HandOverManifest.self, from: data)
    }
    static var cases: [HandOverCase] { (try? manifest.get())?.cases ?? [] }

    static func parameters(for run: HandOverCase) throws -> GenerationParameters {
        let base = try SDXLRunFixtures.sdxl.get(), refiner = try SDXLRunFixtures.refiner.get()
        var parameters = GenerationParameters(negativePrompt: run.negative, steps: run.steps, seed: run.seed)
        parameters.scheduler = try run.scheduler.map { name throws(PipelineError) in try base.scheduler(named: name) }
        parameters.refinement = Refinement(refiner: refiner, start: run.switch,
                                           scheduler: try run.scheduler.map { name throws(PipelineError) in try refiner.scheduler(named: name) })
        return parameters
    }
}

/// The hand-over against diffusers (Euler at diffusers' documented 0.8; Euler ancestral with one generator
/// through both calls; Heun, whose duplicated timesteps take diffusers' +1 rule). One session runs both parts;
/// the latents at the hand-over are compared as well as the final ones.
///
/// Tolerances: those of ``PipelineParityTests`` (float32 summation order differs from torch's; runs of at
/// most 11 model calls at guidance 5): latents max |Δ| ≤ 1e-3 and ≤ 1e-5 of their scale, pixels ≥ 99 %
/// identical bytes and none off by more than 1. Measured (debug build, this machine): latents max |Δ|
/// 3.0e-5–1.2e-4 (≤ 2.4e-6 of the scale) at the cut and at the end; pixels ≥ 99.98 % identical, max 1.
@Suite("SDXL base → refiner hand-over parity with diffusers")
struct SDXLHandOverTests {
    @Test("Both parts run diffusers' timesteps and match its latents and pixels", arguments: HandOverFixtures.cases)
    func matchesDiffusers(_ run: HandOverCase) throws {
        let manifest = try HandOverFixtures.manifest.get()
        let base = try SDXLRunFixtures.sdxl.get()
        let session = try base.makeSession(prompt: manifest.prompt, parameters: try HandOverFixtures.parameters(for: run))
        #expect(session.totalSteps == run.baseSteps + run.refinerSteps)
        for _ in 0..<run.baseSteps { try session.step() }
        let expectedBase = try Fixtures.tensor("sdxl/handover/latents.safetensors", "\(run.name)/base_latents")
        let atCut = Comparison(session.latents, expectedBase)
        #expect(atCut.maxAbsoluteError <= PipelineParityTests.latentAbsoluteTolerance, "\(run.name) at the cut: \(atCut)")
        #expect(atCut.relativeToScale <= PipelineParityTests.latentRelativeTolerance, "\(run.name) at the cut: \(atCut)")
        while !session.isFinished { try session.step() }
        let expected = try Fixtures.tensor("sdxl/handover/latents.safetensors", "\(run.name)/latents")
        let latents = Comparison(session.latents, expected)
        #expect(latents.shapesMatch)
        #expect(latents.maxAbsoluteError <= PipelineParityTests.latentAbsoluteTolerance, "\(run.name): \(latents)")
        #expect(latents.relativeToScale <= PipelineParityTests.latentRelativeTolerance, "\(run.name): \(latents)")
        let image = try #require(try session.decode().first)
        let pixels = PixelComparison(image, try RGBImage(pngFile: Fixtures.path("sdxl/handover/\(run.imageFile)")))
        #expect(pixels.identicalFraction >= PipelineParityTests.identicalPixelFraction, "\(run.name): \(pixels)")
        #expect(pixels.maxDifference <= PipelineParityTests.maximumPixelDifference, "\(run.name): \(pixels)")
    }

    /// `generate` runs the same session and writes the refiner as the web UI does.
    @Test("generate hands over and writes Refiner / Refiner switch at")
    func generateWritesRefiner() throws {
        let manifest = try HandOverFixtures.manifest.get()
        let run = try #require(manifest.cases.first { $0.scheduler == nil })
        let result = try SDXLRunFixtures.sdxl.get().generate(prompt: manifest.prompt, parameters: try HandOverFixtures.parameters(for: run))
        let expected = try Fixtures.tensor("sdxl/handover/latents.safetensors", "\(run.name)/latents")
        #expect(Comparison(result.latents, expected).maxAbsoluteError <= PipelineParityTests.latentAbsoluteTolerance)
        #expect(result.parametersText.contains("Refiner: sdxl-refiner-tiny, Refiner switch at: 0.8, RNG: CPU"), "\(result.parametersText)")
    }

    /// `denoisingEnd` alone stops the base at the same cut (diffusers' `denoising_end` without a refiner).
    @Test("denoisingEnd alone stops at the cut")
    func denoisingEndAlone() throws {
        let manifest = try HandOverFixtures.manifest.get()
        let run = try #require(manifest.cases.first { $0.scheduler == nil })
        var parameters = try HandOverFixtures.parameters(for: run)
        parameters.refinement = nil
        parameters.denoisingEnd = run.switch
        let session = try SDXLRunFixtures.sdxl.get().makeSession(prompt: manifest.prompt, parameters: parameters)
        #expect(session.totalSteps == run.baseSteps)
        while !session.isFinished { try session.step() }
        let expected = try Fixtures.tensor("sdxl/handover/latents.safetensors", "\(run.name)/base_latents")
        #expect(Comparison(session.latents, expected).maxAbsoluteError <= PipelineParityTests.latentAbsoluteTolerance)
    }

    @Test("Invalid hand-overs are parameter errors naming the field")
    func invalidHandOvers() throws {
        let base = try SDXLRunFixtures.sdxl.get(), refiner = try SDXLRunFixtures.refiner.get()
        func fieldName(_ parameters: GenerationParameters) -> String? {
            do {
                _ = try base.makeSession(prompt: "a cat", parameters: parameters)
                return nil
            } catch {
                if case .invalidParameter(let name, _, _) = error { return name }
                return "\(error)"
            }
        }
        var parameters = GenerationParameters(steps: 4, seed: 1)
        for start in [0.0, 1.0, -0.5, .nan] {
            parameters.refinement = Refinement(refiner: refiner, start: start)
            #expect(fieldName(parameters) == "refinement.start", "start \(start)")
        }
        parameters.refinement = Refinement(refiner: refiner)
        parameters.denoisingEnd = 0.5
        #expect(fieldName(parameters) == "denoisingEnd")
        parameters.denoisingEnd = nil
        // SD 1.x's latent space (scaling factor 0.18215) is not SDXL's.
        parameters.refinement = Refinement(refiner: try StableDiffusionPipeline(contentsOf: Fixtures.path("pipeline/sd15-tiny")))
        #expect(fieldName(parameters) == "refinement")
        // A cut so late that the 4-step schedule leaves the refiner nothing (timesteps 751…1 all ≥ round(1000 − 999.9)).
        parameters.refinement = Refinement(refiner: refiner, start: 0.9999)
        #expect(fieldName(parameters) == "refinement.start")
    }
}
