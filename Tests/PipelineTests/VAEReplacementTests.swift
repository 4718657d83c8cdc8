import Foundation
import StableDiffusion
import Testing
import _TestSupport

/// One run of `vae_swap/runs.json` (written by `Tests/Fixtures/generators/vae_swap.py`).
struct VAESwapCase: Codable, Sendable, CustomStringConvertible {
    var name: String
    /// `kl` (the AutoencoderKL folder), `ldm` (the same weights as an LDM single file) or `taesd`.
    var vae: String
    var kind: String
    var scheduler: String?
    var strength: Double?
    var image: String
    var description: String { name }
}

struct VAESwapManifest: Codable, Sendable {
    var prompt: String
    var negativePrompt: String
    var steps: Int
    var guidance: Float
    var seed: UInt64
    var initImage: String
    var cases: [VAESwapCase]

    enum CodingKeys: String, CodingKey {
        case prompt, steps, guidance, seed, cases
        case negativePrompt = "negative_prompt", initImage = "init_image"
    }
}

enum VAESwapFixtures {
    static let manifest: Result<VAESwapManifest, any Error> = Result {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("vae_swap/runs.json")))
        return try JSONDecoder().decode(VAESwapManifest.self, from: data)
    }
    static var cases: [VAESwapCase] { (try? manifest.get())?.cases ?? [] }

    static func path(of vae: String) -> String {
        switch vae {
        case "kl": return Fixtures.path("vae_swap/kl")
        case "ldm": return Fixtures.path("vae_swap/kl-ldm.safetensors")
        default: return Fixtures.path("vae_swap/taesd")
        }
    }

    /// sd15-tiny with the case's VAE in place of its own.
    static func pipeline(_ vae: String) throws -> StableDiffusionPipeline {
        try PipelineRunFixtures.sd15Folder.get().replacingVAE(contentsOf: path(of: vae))
    }

    static func parameters(_ run: VAESwapCase, on pipeline: StableDiffusionPipeline, steps: Int? = nil) throws -> GenerationParameters {
        let manifest = try manifest.get()
        var parameters = GenerationParameters(negativePrompt: manifest.negativePrompt, steps: steps ?? manifest.steps,
                                              guidanceScale: manifest.guidance, seed: manifest.seed)
        if let name = run.scheduler { parameters.scheduler = try pipeline.scheduler(named: name) }
        if run.kind == "img2img" {
            parameters.initImage = try RGBImage(pngFile: Fixtures.path(manifest.initImage))
            parameters.strength = run.strength
        }
        return parameters
    }
}

@Suite("Replacement VAEs and TAESD match diffusers")
struct VAEReplacementTests {
    // Tolerances: PipelineParityTests' (same tiny UNet and text encoder, the same float32 arithmetic on
    // both sides; the VAE only changes the decode and, for img2img, the starting latents, and its
    // convolutions differ from torch's by summation order alone), whose reasoning holds unchanged.
    static let latentAbsoluteTolerance = PipelineParityTests.latentAbsoluteTolerance
    static let latentRelativeTolerance = PipelineParityTests.latentRelativeTolerance

    @Test("The manifest covers folder, LDM single file and TAESD, each for txt2img and img2img")
    func manifestCoversTheMatrix() throws {
        let cases = try VAESwapFixtures.manifest.get().cases
        for vae in ["kl", "ldm", "taesd"] {
            #expect(Set(cases.filter { $0.vae == vae }.map(\.kind)) == ["txt2img", "img2img"], "\(vae)")
        }
    }

    @Test("Final latents and pixels match diffusers with vae=…", arguments: VAESwapFixtures.cases)
    func matchesDiffusers(_ run: VAESwapCase) throws {
        let pipeline = try VAESwapFixtures.pipeline(run.vae)
        let manifest = try VAESwapFixtures.manifest.get()
        let result = try pipeline.generate(prompt: manifest.prompt, parameters: VAESwapFixtures.parameters(run, on: pipeline))
        let expected = try Fixtures.tensor("vae_swap/runs.safetensors", "\(run.name)/latents")
        let latents = Comparison(result.latents, expected)
        #expect(latents.shapesMatch, "\(run.name): \(result.latents.shape) vs \(expected.shape)")
        #expect(latents.maxAbsoluteError <= Self.latentAbsoluteTolerance, "\(run.name): \(latents)")
        #expect(latents.relativeToScale <= Self.latentRelativeTolerance, "\(run.name): \(latents)")
        let reference = try RGBImage(pngFile: Fixtures.path("vae_swap/\(run.image)"))
        let image = try #require(result.images.first)
        let pixels = PixelComparison(image, reference)
        #expect(pixels.identicalFraction >= PipelineParityTests.identicalPixelFraction, "\(run.name): \(pixels)")
        #expect(pixels.maxDifference <= PipelineParityTests.maximumPixelDifference, "\(run.name): \(pixels)")
    }

    @Test("The replacement changes the image, and the original pipeline keeps its own VAE")
    func replacementIsANewValue() throws {
        let original = try PipelineRunFixtures.sd15Folder.get()
        let replaced = try VAESwapFixtures.pipeline("kl")
        #expect((original.decoder as? AutoencoderKL)?.configuration.scalingFactor == 0.18215)
        #expect((replaced.decoder as? AutoencoderKL)?.configuration.scalingFactor == 0.5)
        #expect(original.vaeName == nil && replaced.vaeName == "kl")
        let run = try #require(VAESwapFixtures.cases.first { $0.name == "kl-txt2img" })
        let prompt = try VAESwapFixtures.manifest.get().prompt
        let mine = try replaced.generate(prompt: prompt, parameters: VAESwapFixtures.parameters(run, on: replaced))
        let theirs = try original.generate(prompt: prompt, parameters: VAESwapFixtures.parameters(run, on: original))
        // txt2img latents do not depend on the VAE; the pictures do.
        #expect(SingleFileGenerationTests.identical(mine.latents, theirs.latents))
        #expect(mine.images != theirs.images)
        #expect(mine.parametersText.contains("VAE: kl,"))
    }

    @Test("LoadOptions.vae gives replacingVAE's pipeline")
    func loadOptionMatchesReplacing() throws {
        let loaded = try StableDiffusionPipeline(contentsOf: Fixtures.path("pipeline/sd15-tiny"),
                                                 options: LoadOptions(vae: VAESwapFixtures.path(of: "taesd")))
        #expect(loaded.decoder is AutoencoderTiny && loaded.encoder is AutoencoderTiny && loaded.previewDecoder is AutoencoderTiny)
        let run = try #require(VAESwapFixtures.cases.first { $0.name == "taesd-txt2img" })
        let prompt = try VAESwapFixtures.manifest.get().prompt
        let viaOptions = try loaded.generate(prompt: prompt, parameters: VAESwapFixtures.parameters(run, on: loaded))
        let replaced = try VAESwapFixtures.pipeline("taesd")
        let viaReplacing = try replaced.generate(prompt: prompt, parameters: VAESwapFixtures.parameters(run, on: replaced))
        #expect(viaOptions.images == viaReplacing.images)
    }
}

@Suite("VAEs that do not fit the model are refused")
struct IncompatibleVAETests {
    @Test("A VAE with 16 latent channels on a 4-channel model: typed error")
    func channelMismatch() throws {
        let pipeline = try PipelineRunFixtures.sd15Folder.get()
        let sixteen = LatentRGBApproximation(factors: Array(repeating: [0.1, 0.1, 0.1], count: 16))
        #expect(throws: PipelineError.vaeLatentChannelsMismatch(path: "flux-like", vaeChannels: 16, modelChannels: 4)) {
            try pipeline.replacingVAE(VAEReplacement(decoder: sixteen, encoder: nil, name: "flux-like"))
        }
        #expect(throws: PipelineError.vaeLatentChannelsMismatch(path: "preview decoder", vaeChannels: 16, modelChannels: 4)) {
            try pipeline.replacingPreviewDecoder(sixteen)
        }
    }

    @Test("An SDXL VAE (scaling_factor 0.13025) on an SD 1.x model: typed error naming both families")
    func familyMismatch() throws {
        let pipeline = try PipelineRunFixtures.sd15Folder.get()
        var configuration = try AutoencoderKLConfiguration(contentsOf: URL(fileURLWithPath: Fixtures.path("vae_swap/kl/config.json")))
        configuration.scalingFactor = 0.13025
        let loader = WeightLoader(source: try SafetensorsWeightSource(path: Fixtures.path("vae_swap/kl/diffusion_pytorch_model.safetensors")))
        let sdxlVAE = try AutoencoderKL(configuration: configuration, weights: loader.reader())
        #expect(throws: PipelineError.vaeFamilyMismatch(path: "sdxl-vae", vaeFamily: "sdxl", modelFamily: "sd1",
                                                       evidence: "scaling_factor 0.13025")) {
            try pipeline.replacingVAE(VAEReplacement(sdxlVAE, name: "sdxl-vae"))
        }
        // SD 1.x and 2.x share their VAE: the model's own factor is accepted on either.
        configuration.scalingFactor = 0.18215
        let sdVAE = try AutoencoderKL(configuration: configuration, weights: loader.reader())
        #expect(VAEReplacement(sdVAE, name: "sd").families()?.map(\.name) == ["sd1", "sd2"])
        _ = try pipeline.replacingVAE(VAEReplacement(sdVAE, name: "sd"))
    }

    @Test("A single file that is not a VAE, and an unsupported VAE class: errors naming the file")
    func notAVAE() throws {
        let pipeline = try PipelineRunFixtures.sd15Folder.get()
        let unet = Fixtures.path("pipeline/sd15-tiny/unet/diffusion_pytorch_model.safetensors")
        #expect {
            try pipeline.replacingVAE(contentsOf: unet)
        } throws: { error in
            guard case .singleFile(.missingComponent(let path, .vae, _, _)) = error as? PipelineError else { return false }
            return path == unet
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vae-class-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(#"{"_class_name": "ConsistencyDecoderVAE"}"#.utf8).write(to: folder.appendingPathComponent("config.json"))
        #expect {
            try pipeline.replacingVAE(contentsOf: folder.path)
        } throws: { error in
            guard case .invalidModel(_, let reason) = error as? PipelineError else { return false }
            return reason.contains("ConsistencyDecoderVAE")
        }
    }

    @Test("TAESD configs: published layout without block_out_channels decodes; unequal level widths are refused")
    func tinyConfiguration() throws {
        let configuration = try AutoencoderTinyConfiguration(contentsOf: URL(fileURLWithPath: Fixtures.path("vae_swap/taesd/config.json")))
        #expect(configuration.decoderBlockOutChannels == [8, 8, 8, 8] && configuration.downsamplingFactor == 8)
        #expect(configuration.scalingFactor == 1 && configuration.decoderBlockCounts == [1, 1, 2, 1])
        #expect(AutoencoderTinyConfiguration.taesd.encoderBlockCounts == [1, 3, 3, 3])
        var uneven = configuration
        uneven.decoderBlockOutChannels = [8, 16, 8, 8]
        #expect(throws: VAEError.self) { try uneven.validate() }
    }
}
