import Foundation
import StableDiffusion
import Testing
import _TestSupport

/// A seeded generation with a weighted prompt and negative prompt against diffusers running the same
/// A1111 conditioning (passed as `prompt_embeds` / `negative_prompt_embeds`): final latents and decoded pixels, from
/// `Tests/Fixtures/generators/prompt_syntax.py`.
@Suite("A1111 prompt syntax: a seeded run")
struct PromptSyntaxRunTests {
    // The same bounds as PipelineParityTests (1e-3 absolute, 1e-5 of the latents' scale): the conditioning
    // differs from the reference by ≤ 1e-5 of its scale (PromptSyntaxEncodingTests) and the UNet and
    // scheduler add what they add in the plain runs.
    static let latentAbsoluteTolerance: Float = 1e-3
    static let latentRelativeTolerance: Float = 1e-5

    @Test("Final latents match diffusers given A1111's conditioning")
    func weightedRunMatches() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("prompt_syntax/runs.json")))
        let runs = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        #expect(!runs.isEmpty)
        for run in runs {
            let name = try #require(run["name"] as? String)
            let pipeline = try PipelineRunFixtures.sd15Folder.get()
            var parameters = GenerationParameters()
            parameters.promptSyntax = .automatic1111
            parameters.negativePrompt = run["negative_prompt"] as? String
            parameters.steps = try #require(run["steps"] as? Int)
            parameters.guidanceScale = (run["guidance"] as? NSNumber)?.floatValue
            parameters.width = run["width"] as? Int
            parameters.height = run["height"] as? Int
            parameters.seed = (run["seed"] as? NSNumber)?.uint64Value
            parameters.scheduler = try pipeline.scheduler(named: try #require(run["scheduler"] as? String))
            let prompt = try #require(run["prompt"] as? String)
            let result = try pipeline.generate(prompt: prompt, parameters: parameters)
            let expected = try Fixtures.tensor("prompt_syntax/runs.safetensors", "\(name)/latents")
            let comparison = Comparison(result.latents, expected)
            #expect(comparison.shapesMatch)
            #expect(comparison.maxAbsoluteError <= Self.latentAbsoluteTolerance, "\(name): \(comparison)")
            #expect(comparison.relativeToScale <= Self.latentRelativeTolerance, "\(name): \(comparison)")
            // Pixels as in PipelineParityTests: ≥ 99 % identical bytes, the others one rounding step apart.
            let reference = try RGBImage(pngFile: Fixtures.path("prompt_syntax/\(try #require(run["image"] as? String))"))
            let pixels = PixelComparison(result.images[0], reference)
            #expect(pixels.identicalFraction >= PipelineParityTests.identicalPixelFraction, "\(name): \(pixels)")
            #expect(pixels.maxDifference <= PipelineParityTests.maximumPixelDifference, "\(name): \(pixels)")
            // The PNG parameters keep the prompt as typed.
            #expect(result.parametersText.hasPrefix(prompt + "\n"))
        }
    }
}
