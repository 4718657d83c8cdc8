import Testing
@testable import Pipeline
import _TestSupport

/// The custom scheduler of `Examples/CustomScheduler` (the same file, linked) drives the pipeline
/// through the public protocols only.
@Suite("A custom scheduler in the pipeline")
struct CustomSchedulerPipelineTests {
    @Test("QuadraticDDIM generates through the pipeline and differs from the built-in DDIM")
    func customSchedulerGenerates() throws {
        let pipeline = try StableDiffusionPipeline(contentsOf: Fixtures.path("pipeline/sd15-tiny"))
        var parameters = GenerationParameters()
        parameters.seed = 4
        parameters.steps = 6
        parameters.scheduler = QuadraticDDIMConfiguration()
        let custom = try pipeline.generate(prompt: "a cat", parameters: parameters)
        #expect(custom.statistics.stepSeconds.count == 6)
        #expect(custom.images.count == 1)
        #expect(custom.latents.scalars.allSatisfy { $0.isFinite })
        #expect(custom.parametersText.contains("Sampler: QuadraticDDIM"))
        parameters.scheduler = try pipeline.scheduler(named: "ddim")
        let builtIn = try pipeline.generate(prompt: "a cat", parameters: parameters)
        #expect(builtIn.latents.scalars != custom.latents.scalars)
        // Image-to-image through the custom scheduler's strength support.
        parameters.scheduler = QuadraticDDIMConfiguration()
        parameters.initImage = custom.images[0]
        parameters.strength = 0.5
        let edited = try pipeline.generate(prompt: "a cat", parameters: parameters)
        #expect(edited.statistics.stepSeconds.count == 3)
    }
}
