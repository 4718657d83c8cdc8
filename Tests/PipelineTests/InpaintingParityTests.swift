import Foundation
import StableDiffusion
import Testing
import _TestSupport

/// Inpainting against diffusers 0.42.1's `StableDiffusionInpaintPipeline`: every case of
/// `inpainting/cases.json` (written by `Tests/Fixtures/generators/inpainting.py`) is generated with the
/// Swift pipeline from the same seed, and its final latents and decoded pixels are compared.
@Suite("Inpainting parity with diffusers")
struct InpaintingParityTests {
    // Tolerances: the pipeline parity tests' (PipelineParityTests), for the same reasons: float32 on
    // both sides, different summation orders, guidance 7.5 amplifying the difference of the two
    // predictions, random tiny UNets driving latents to ±97. Inpainting adds no arithmetic of its
    // own beyond exact operations (the mask is 0/1, so the legacy blend and the masked image are
    // exact). Measured (debug build, this machine): max abs error ≤ 3.3e-4 (Euler a, scale 87),
    // relative to scale ≤ 4.0e-6.

    @Test("The manifest covers both kinds of model, three samplers, both strengths, both masks, 64×48, no negative prompt, two images, no guidance, the single file")
    func manifestCoversTheMatrix() throws {
        let cases = try InpaintingFixtures.manifest.get().cases
        let inpainting = cases.filter { $0.model == "sd15-inpaint-tiny" }
        let legacy = cases.filter { $0.model == "sd15-tiny" }
        #expect(Set(inpainting.compactMap(\.scheduler)).isSuperset(of: ["ddim", "euler-a", "dpm++2m"]))
        #expect(Set(legacy.compactMap(\.scheduler)) == ["ddim", "euler-a", "dpm++2m"])
        for group in [inpainting, legacy] {
            #expect(group.contains { $0.strength == 1 } && group.contains { $0.strength < 1 })
            #expect(group.contains { $0.maskImage.contains("soft") } && group.contains { $0.maskImage.contains("rect") })
            #expect(group.contains { $0.width != $0.height })
        }
        #expect(inpainting.contains { $0.negativePrompt == nil && $0.images == 2 })
        #expect(inpainting.contains { $0.guidance <= 1 })
        #expect(inpainting.contains { $0.scheduler == nil })
        #expect(cases.contains { $0.singleFile })
        #expect(cases.filter { !$0.imageFiles.isEmpty }.count >= 9)
    }

    @Test("Final latents and pixels match diffusers", arguments: InpaintingFixtures.cases)
    func matchesDiffusers(_ run: InpaintingCase) throws {
        let pipeline = try InpaintingFixtures.pipeline(for: run)
        let result = try pipeline.generate(prompt: InpaintingFixtures.manifest.get().prompt, parameters: parameters(for: run, on: pipeline))
        let expected = try Fixtures.tensor("inpainting/runs.safetensors", "\(run.name)/latents")
        let latents = Comparison(result.latents, expected)
        #expect(latents.shapesMatch, "\(run.name): latents \(result.latents.shape) vs \(expected.shape)")
        #expect(latents.maxAbsoluteError <= PipelineParityTests.latentAbsoluteTolerance, "\(run.name): \(latents)")
        #expect(latents.relativeToScale <= PipelineParityTests.latentRelativeTolerance, "\(run.name): \(latents)")
        #expect(result.images.count == run.images)
        for (image, file) in zip(result.images, run.imageFiles) {
            let reference = try RGBImage(pngFile: Fixtures.path("inpainting/\(file)"))
            #expect(image.width == reference.width && image.height == reference.height, "\(file)")
            let pixels = PixelComparison(image, reference)
            #expect(pixels.identicalFraction >= PipelineParityTests.identicalPixelFraction, "\(file): \(pixels)")
            #expect(pixels.maxDifference <= PipelineParityTests.maximumPixelDifference, "\(file): \(pixels)")
        }
    }

    func parameters(for run: InpaintingCase, on pipeline: StableDiffusionPipeline) throws -> GenerationParameters {
        var parameters = GenerationParameters(negativePrompt: run.negativePrompt, steps: try InpaintingFixtures.manifest.get().steps,
                                              guidanceScale: run.guidance, seed: run.seed)
        parameters.numberOfImages = run.images
        if let name = run.scheduler { parameters.scheduler = try pipeline.scheduler(named: name) }
        parameters.initImage = try RGBImage(pngFile: Fixtures.path("inpainting/\(run.initImage)"))
        parameters.mask = try InpaintingMask(pngFile: Fixtures.path("inpainting/\(run.maskImage)"))
        // Strength 1 is the inpainting default: leave it unset there, so the default is what is tested.
        parameters.strength = run.strength == 1 ? nil : run.strength
        return parameters
    }
}

@Suite("Inpainting models, parameters and errors")
struct InpaintingBehaviorTests {
    static func inputs(_ mask: String = "mask-rect-64.png") throws -> GenerationParameters {
        var parameters = GenerationParameters(steps: 2, seed: 3)
        parameters.initImage = try RGBImage(pngFile: Fixtures.path("inpainting/init-64.png"))
        parameters.mask = try InpaintingMask(pngFile: Fixtures.path("inpainting/\(mask)"))
        return parameters
    }

    @Test("Inpainting models are recognised in folders and single files; ordinary models are not")
    func recognition() throws {
        #expect(try InpaintingFixtures.inpaintingFolder.get().isInpaintingModel)
        #expect(try InpaintingFixtures.singleFile.get().isInpaintingModel)
        #expect(try !InpaintingFixtures.ordinaryFolder.get().isInpaintingModel)
        let checkpoint = try SingleFileCheckpoint(path: InpaintingFixtures.singleFilePath.get(),
                                                  layout: SingleFileLayout(diffusersFolder: Fixtures.path("inpainting/sd15-inpaint-tiny")))
        #expect(checkpoint.unetInputChannels == 9 && checkpoint.family == .stableDiffusion1)
        #expect(SingleFilePrediction.guess(family: .stableDiffusion2, metadata: [:], inpainting: true).kind == .epsilon)
        #expect(SingleFilePrediction.guess(family: .stableDiffusion2, metadata: [:]).kind == .vPrediction)
    }

    @Test("Real-size SD 1.5 and SD 2 inpainting layouts map with the published presets: conv_in takes 9 channels")
    func publishedInpaintingLayouts() throws {
        for (name, family) in [("sd15", SingleFileFamily.stableDiffusion1), ("sd21", .stableDiffusion2)] {
            var shapes = try SingleFileTests.catalogue(name)["ldm"] ?? [:]
            let key = "model.diffusion_model.input_blocks.0.0.weight"
            shapes[key] = [320, 9, 3, 3]
            #expect(try SingleFileFamily.detect(tensorShapes: shapes, path: "\(name)-inpainting.safetensors") == family)
            #expect(SingleFileFamily.unetInputChannels(tensorShapes: shapes) == 9)
            let mapping = try SingleFileKeyMapping(tensorShapes: shapes, path: "\(name)-inpainting.safetensors")
            #expect(mapping[.unet]["conv_in.weight"] == SingleFileTensorSource(checkpointKey: key, transform: .identity, shape: [320, 9, 3, 3]))
        }
    }

    @Test("Strength defaults to 1 for inpainting (every step runs) and stays the image-to-image default without a mask")
    func strengthDefault() throws {
        let pipeline = try InpaintingFixtures.ordinaryFolder.get()
        var parameters = try Self.inputs()
        parameters.steps = 5
        parameters.scheduler = try pipeline.scheduler(named: "ddim")  // one timestep per step (PNDM adds one)
        let session = try pipeline.makeSession(prompt: "a cat", parameters: parameters)
        #expect(session.strength == 1 && session.totalSteps == 5)
        parameters.mask = nil
        let img2img = try pipeline.makeSession(prompt: "a cat", parameters: parameters)
        #expect(img2img.strength == 0.8 && img2img.totalSteps == 4)
    }

    @Test("Typed errors: mask without init image, mask of another size, inpainting model without a mask, mask blur without a mask or out of range")
    func errors() throws {
        let ordinary = try InpaintingFixtures.ordinaryFolder.get()
        var noImage = try Self.inputs()
        noImage.initImage = nil
        #expect(throws: PipelineError.maskWithoutInitImage) { _ = try ordinary.generate(prompt: "a cat", parameters: noImage) }

        var wrongSize = try Self.inputs("mask-rect-64x48.png")
        let error = #expect(throws: PipelineError.self) { _ = try ordinary.generate(prompt: "a cat", parameters: wrongSize) }
        if case .invalidMask(let source, let reason)? = error {
            #expect(source.hasSuffix("mask-rect-64x48.png") && reason.contains("64×48") && reason.contains("64×64"))
        } else {
            Issue.record("expected invalidMask, got \(String(describing: error))")
        }
        wrongSize.mask = nil
        wrongSize.maskBlur = 4
        #expect(throws: PipelineError.self) { _ = try ordinary.generate(prompt: "a cat", parameters: wrongSize) }

        var negativeBlur = try Self.inputs()
        negativeBlur.maskBlur = -1
        #expect(throws: PipelineError.invalidParameter(name: "maskBlur", value: "-1", allowed: "0…64 pixels")) {
            _ = try ordinary.generate(prompt: "a cat", parameters: negativeBlur)
        }

        let inpaintingModel = try InpaintingFixtures.inpaintingFolder.get()
        var textToImage = GenerationParameters(steps: 2, seed: 3)
        textToImage.width = 64
        textToImage.height = 64
        #expect(throws: PipelineError.inpaintingModelNeedsMask(model: "sd15-inpaint-tiny")) {
            _ = try inpaintingModel.generate(prompt: "a cat", parameters: textToImage)
        }
    }

    @Test("Mask blur pastes the original back: with 0, every kept pixel is the init image's")
    func pasteBack() throws {
        let pipeline = try InpaintingFixtures.inpaintingFolder.get()
        var parameters = try Self.inputs()
        let plain = try pipeline.generate(prompt: "a cat", parameters: parameters)
        parameters.maskBlur = 0
        let pasted = try pipeline.generate(prompt: "a cat", parameters: parameters)
        let original = try #require(parameters.initImage), mask = try #require(parameters.mask)
        var keptDiffering = 0
        for i in 0..<(64 * 64) {
            for c in 0..<3 {
                let index = 3 * i + c
                if mask.values[i] == 0 {
                    #expect(pasted.images[0].pixels[index] == original.pixels[index])
                    if plain.images[0].pixels[index] != original.pixels[index] { keptDiffering += 1 }
                } else {
                    #expect(pasted.images[0].pixels[index] == plain.images[0].pixels[index])
                }
            }
        }
        // Without paste-back the kept area is the VAE's reconstruction (diffusers' output), not the original.
        #expect(keptDiffering > 0)
        #expect(pasted.latents.scalars == plain.latents.scalars)
    }

    @Test("PNG parameters mark inpainting as the web UI does")
    func parametersText() throws {
        var parameters = try Self.inputs()
        parameters.strength = 0.75
        parameters.maskBlur = 4
        let text = try InpaintingFixtures.inpaintingFolder.get().generate(prompt: "a cat", parameters: parameters).parametersText
        #expect(text.contains("Denoising strength: 0.75, Conditional mask weight: 1.0, RNG: CPU, Mask blur: 4, Version: "), "\(text)")
        parameters.maskBlur = nil
        let legacy = try InpaintingFixtures.ordinaryFolder.get().generate(prompt: "a cat", parameters: parameters).parametersText
        #expect(legacy.contains("Denoising strength: 0.75, RNG: CPU, Mask blur: 0, Version: "), "\(legacy)")
        #expect(!legacy.contains("Conditional mask weight"))
    }
}
