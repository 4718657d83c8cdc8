import Foundation
import StableDiffusion
import Testing
import _TestSupport

/// End to end against diffusers 0.42.1: every case of `pipeline_runs/cases.json` (written by
/// `Tests/Fixtures/generators/pipeline_runs.py`) is generated with the Swift pipeline and its final
/// latents and decoded pixels are compared with diffusers'.
@Suite("Pipeline parity with diffusers")
struct PipelineParityTests {
    // Tolerances. Both sides compute in float32 from the same weights (sd2-tiny's fp16 files are
    // widened on both sides), but with different summation orders (OpenBLAS GEMMs and our im2col
    // convolutions against torch's MKL / oneDNN), so each UNet evaluation differs by about 1e-6 of
    // its scale; guidance multiplies the difference of the two predictions by 7.5, and a run makes
    // up to 9 evaluations (Heun). The random tiny UNets drive sd15-tiny's latents to ±90, so the
    // error is also bounded relative to the largest reference value.
    // Measured (debug build, this machine): max abs error ≤ 2.4e-4 on sd15-tiny (LCM, scale 90),
    // ≤ 2.6e-5 on sd2-tiny; relative to scale ≤ 3.4e-6 (sd2-tiny PNDM).

    /// Largest |Swift − diffusers| of a final latent: the target, 4× the worst measured.
    static let latentAbsoluteTolerance: Float = 1e-3
    /// Largest error over the reference's largest magnitude: 3× the worst measured.
    static let latentRelativeTolerance: Float = 1e-5
    /// Pixels: the share of identical bytes (R, G and B counted apart) of each image. A latent
    /// error of 1e-4 moves a decoded value by far less than one 8-bit level, so only values lying
    /// that close to a rounding boundary flip; measured ≥ 99.93 % (2 of 3,072 bytes, sd2-tiny).
    static let identicalPixelFraction = 0.99
    /// …and a byte that differs may differ only by that one rounding step (measured: 1).
    static let maximumPixelDifference = 1

    @Test("The manifest covers every scheduler on both models, seeded runs, img2img and the single file")
    func manifestCoversTheMatrix() throws {
        let cases = try PipelineRunFixtures.manifest.get().cases
        for model in ["sd15-tiny", "sd2-tiny"] {
            let fixed = Set(cases.filter { $0.model == model && $0.fixedLatents && !$0.singleFile }.compactMap(\.scheduler))
            #expect(fixed == Set(SchedulerName.allCases.map(\.rawValue)), "\(model)")
            #expect(cases.contains { $0.model == model && $0.kind == "img2img" && $0.scheduler == nil })
            #expect(cases.contains { $0.model == model && $0.kind == "img2img" && $0.scheduler == "euler-a" })
            for scheduler in [nil, "euler-a", "ddpm"] {
                #expect(cases.contains { $0.model == model && !$0.fixedLatents && $0.kind == "txt2img" && $0.scheduler == scheduler })
            }
            #expect(cases.contains { $0.model == model && $0.images == 2 && $0.kind == "txt2img" })
            #expect(cases.contains { $0.model == model && $0.guidance <= 1 })
            #expect(cases.contains { $0.model == model && $0.clipSkip == 1 })
        }
        #expect(cases.contains { $0.singleFile })
        // SD-Turbo from its folder as published: its own scheduler, 1 and 4 steps, no guidance, img2img.
        let turbo = cases.filter { $0.model == "sdturbo-tiny" }
        #expect(Set(turbo.compactMap(\.steps)) == [1, 4, 2])
        #expect(turbo.allSatisfy { $0.guidance == 0 && $0.scheduler == nil })
        #expect(turbo.contains { $0.kind == "img2img" })
    }

    @Test("Final latents and pixels match diffusers", arguments: PipelineRunFixtures.cases)
    func matchesDiffusers(_ run: PipelineRunCase) throws {
        let pipeline = try PipelineRunFixtures.pipeline(for: run)
        let result = try PipelineRunFixtures.generate(run, on: pipeline)
        let expected = try PipelineRunFixtures.tensor(run, "latents")
        let latents = Comparison(result.latents, expected)
        #expect(latents.shapesMatch, "\(run.name): latents \(result.latents.shape) vs \(expected.shape)")
        #expect(result.images.count == run.imageFiles.count)
        #expect(latents.maxAbsoluteError <= Self.latentAbsoluteTolerance, "\(run.name): \(latents)")
        #expect(latents.relativeToScale <= Self.latentRelativeTolerance, "\(run.name): \(latents)")
        for (image, file) in zip(result.images, run.imageFiles) {
            let reference = try RGBImage(pngFile: Fixtures.path("pipeline_runs/\(file)"))
            #expect(image.width == reference.width && image.height == reference.height, "\(file)")
            let pixels = PixelComparison(image, reference)
            #expect(pixels.identicalFraction >= Self.identicalPixelFraction, "\(file): \(pixels)")
            #expect(pixels.maxDifference <= Self.maximumPixelDifference, "\(file): \(pixels)")
        }
    }
}

@Suite("Single-file checkpoints generate like their folders")
struct SingleFileGenerationTests {
    static func run(_ name: String) throws -> PipelineRunCase {
        try #require(PipelineRunFixtures.cases.first { $0.name == name }, "no case \(name)")
    }

    /// Element-wise bit identity.
    static func identical(_ a: Tensor, _ b: Tensor) -> Bool {
        a.shape == b.shape && zip(a.scalars, b.scalars).allSatisfy { $0.bitPattern == $1.bitPattern }
    }

    @Test("sd2-tiny.safetensors with the folder's configs gives bit-identical latents and images to the fp16 folder",
          arguments: ["txt2img-sd2-tiny-euler-a", "seeded-sd2-tiny-ddpm", "img2img-sd2-tiny-default"])
    func sd2FileEqualsFolder(_ name: String) throws {
        let run = try Self.run(name)
        let folder = try PipelineRunFixtures.generate(run, on: try PipelineRunFixtures.sd2Folder.get())
        let file = try PipelineRunFixtures.generate(run, on: try PipelineRunFixtures.sd2SingleFile.get())
        #expect(Self.identical(file.latents, folder.latents))
        #expect(file.images == folder.images)
    }

    /// The fp16 SD 1.x file holds the fp32 folder's weights rounded to fp16, so it cannot be
    /// bit-identical; its parity with diffusers' own `from_single_file` is checked by the
    /// `singlefile-sd15-tiny-…` cases above. Here: the same picture as the folder's up to that
    /// rounding. fp16 keeps 11 significant bits (relative rounding ≤ 4.9e-4 per weight); measured
    /// latent differences are ≤ 2.5e-3 of the scale and no byte differs by more than 1 (89.6–92.9 %
    /// of bytes identical).
    @Test("sd15-tiny.safetensors (fp16) with the folder's configs gives the fp32 folder's image up to fp16 rounding",
          arguments: ["txt2img-sd15-tiny-euler", "seeded-sd15-tiny-default", "img2img-sd15-tiny-euler-a"])
    func sd15FileMatchesFolder(_ name: String) throws {
        let run = try Self.run(name)
        let folder = try PipelineRunFixtures.generate(run, on: try PipelineRunFixtures.sd15Folder.get())
        let file = try PipelineRunFixtures.generate(run, on: try PipelineRunFixtures.sd15SingleFile.get())
        let latents = Comparison(file.latents, folder.latents)
        #expect(latents.shapesMatch && latents.relativeToScale <= 1e-2, "\(latents)")
        #expect(latents.maxAbsoluteError > 0, "fp16 rounding must show; is the file still fp32?")
        let pixels = PixelComparison(try #require(file.images.first), try #require(folder.images.first))
        #expect(pixels.maxDifference <= 2 && pixels.identicalFraction >= 0.8, "\(pixels)")
    }

    /// The tiny models' shapes are not the published SD 1.5 / 2.1 ones, so without a config folder
    /// loading fails on the first tensor the published layout expects and the file lacks.
    @Test("Without a config folder the tiny files fail with a typed error naming the missing tensor")
    func withoutConfigFolder() throws {
        let sd15 = Fixtures.path("pipeline/sd15-tiny.safetensors")
        #expect(throws: PipelineError.singleFile(.missingTensor(
            path: sd15, key: "model.diffusion_model.input_blocks.4.1.norm.weight", component: .unet,
            componentKey: "down_blocks.1.attentions.0.norm.weight"))) {
            try StableDiffusionPipeline(contentsOf: sd15)
        }
        let sd2 = Fixtures.path("pipeline/sd2-tiny.safetensors")
        #expect(throws: PipelineError.singleFile(.missingTensor(
            path: sd2, key: "model.diffusion_model.input_blocks.2.0.in_layers.0.weight", component: .unet,
            componentKey: "down_blocks.0.resnets.1.norm1.weight"))) {
            try StableDiffusionPipeline(contentsOf: sd2)
        }
    }
}

@Suite("Step-by-step and async generation")
struct GenerationDrivingTests {
    /// Two images, Euler ancestral: initial noise and per-step noise come from one generator, so any
    /// difference in draw order between the drivers would show.
    static let caseName = "seeded-sd15-tiny-euler-a-2images"

    @Test("A DenoisingSession driven step by step gives generate()'s latents and images exactly")
    func sessionEqualsGenerate() throws {
        let run = try SingleFileGenerationTests.run(Self.caseName)
        let pipeline = try PipelineRunFixtures.pipeline(for: run)
        let parameters = try PipelineRunFixtures.parameters(for: run, on: pipeline)
        let prompt = try PipelineRunFixtures.manifest.get().prompt
        let whole = try pipeline.generate(prompt: prompt, parameters: parameters)
        let session = try pipeline.makeSession(prompt: prompt, parameters: parameters)
        #expect(session.totalSteps == parameters.steps)
        while !session.isFinished { try session.step() }
        #expect(SingleFileGenerationTests.identical(session.latents, whole.latents))
        #expect(try session.decode() == whole.images)
    }

    @Test("The async generate gives the synchronous result exactly")
    func asyncEqualsSync() async throws {
        let run = try SingleFileGenerationTests.run(Self.caseName)
        let pipeline = try PipelineRunFixtures.pipeline(for: run)
        let parameters = try PipelineRunFixtures.parameters(for: run, on: pipeline)
        let prompt = try PipelineRunFixtures.manifest.get().prompt
        let sync = try PipelineRunFixtures.generate(run, on: pipeline)
        let async = try await pipeline.generate(prompt: prompt, parameters: parameters, progress: nil)
        #expect(SingleFileGenerationTests.identical(async.latents, sync.latents))
        #expect(async.images == sync.images)
        #expect(async.seed == run.seed)
    }
}
