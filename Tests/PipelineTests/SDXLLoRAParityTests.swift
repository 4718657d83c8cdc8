import Foundation
import StableDiffusion
import Testing
import _TestSupport

/// LoRAs and embeddings on SDXL against diffusers 0.42.1 + peft (`StableDiffusionXLPipeline`): a kohya file
/// with the SGM / LDM UNet names and `lora_te1_` / `lora_te2_` parts at 0.8, a PEFT file written by
/// `save_lora_weights` (seeded), and an SDXL `clip_l` / `clip_g` 2-vector embedding plus a single-vector one
/// that only the second encoder's width fits, all used in the prompt.
@Suite("SDXL LoRA and textual-inversion parity with diffusers")
struct SDXLLoRAParityTests {
    // Tolerances: those of SDXLPipelineParityTests and LoRAParityTests (float32 on both sides from the
    // same weights, different summation orders; peft adds `s·B·(A·x)` where the SDK merges `s·B·A` into
    // the widened weight first, about 1e-7 relative per layer). Measured (debug build, this machine):
    // latents max |Δ| ≤ 3.9e-5, relative to scale ≤ 3.8e-6; pixels ≥ 99.98 % identical bytes.

    /// Largest |Swift − diffusers| of a final latent (latents reach ±17 here): the pipeline parity bound.
    static let latentAbsoluteTolerance: Float = 1e-3
    /// Largest error over the reference's largest magnitude.
    static let latentRelativeTolerance: Float = 1e-5
    /// Share of identical bytes (the issue's target).
    static let identicalPixelFraction = 0.99
    /// Largest byte difference (the issue's target).
    static let maximumPixelDifference = 2

    @Test("The manifest covers kohya (LDM names, te1 and te2) at 0.8, PEFT seeded and clip_l / clip_g embeddings")
    func manifestCoversTheIssue() throws {
        let cases = try SDXLLoRAFixtures.manifest.get().cases
        #expect(cases.contains { $0.loras.first?.file == "kohya-xl.safetensors" && $0.loras.first?.scale == 0.8 })
        #expect(cases.contains { $0.loras.first?.file == "peft-xl.safetensors" && !$0.fixedLatents })
        #expect(cases.contains { $0.embeddings.contains { $0.file == "xlstyle.safetensors" } })
        let kohya = try LoRA(contentsOf: SDXLLoRAFixtures.adapter("kohya-xl.safetensors"))
        let keys = kohya.modules.map(\.key)
        #expect(keys.contains { $0.hasPrefix("lora_unet_input_blocks_") } && keys.contains { $0.hasPrefix("lora_unet_middle_block_") }
                && keys.contains { $0.hasPrefix("lora_unet_output_blocks_") } && keys.contains { $0.hasPrefix("lora_unet_label_emb_") })
        #expect(Set(kohya.modules.map(\.target)) == [.unet, .textEncoder, .textEncoder2])
        #expect(kohya.modules.allSatisfy { $0.alpha != Float($0.rank) })
    }

    @Test("Final latents and pixels match diffusers", arguments: SDXLLoRAFixtures.cases)
    func matchesDiffusers(_ run: SDXLLoRARunCase) throws {
        let pipeline = try SDXLLoRAFixtures.pipeline(for: run)
        #expect(pipeline.adapters.warnings.isEmpty, "\(pipeline.adapters.warnings)")
        #expect(pipeline.family == .stableDiffusionXL && pipeline.conditioner is SDXLPromptConditioner)
        let result = try SDXLLoRAFixtures.generate(run, on: pipeline)
        let expected = try SDXLLoRAFixtures.tensor("\(run.name)/latents")
        let latents = Comparison(result.latents, expected)
        #expect(latents.shapesMatch, "\(run.name): latents \(result.latents.shape) vs \(expected.shape)")
        #expect(latents.maxAbsoluteError <= Self.latentAbsoluteTolerance, "\(run.name): \(latents)")
        #expect(latents.relativeToScale <= Self.latentRelativeTolerance, "\(run.name): \(latents)")
        let reference = try RGBImage(pngFile: Fixtures.path("sdxl/lora/\(run.name).png"))
        let image = try #require(result.images.first)
        let pixels = PixelComparison(image, reference)
        #expect(pixels.identicalFraction >= Self.identicalPixelFraction, "\(run.name): \(pixels)")
        #expect(pixels.maxDifference <= Self.maximumPixelDifference, "\(run.name): \(pixels)")
    }

    @Test("Without the adapters the same run differs (the adapters are not a no-op)", arguments: SDXLLoRAFixtures.cases)
    func adaptersChangeTheResult(_ run: SDXLLoRARunCase) throws {
        guard run.fixedLatents else { return }
        let expected = try SDXLLoRAFixtures.tensor("\(run.name)/latents")
        let base = try SDXLLoRAFixtures.tensor("base/latents")
        #expect(Comparison(base, expected).maxAbsoluteError > 0.1, "\(run.name) equals the base model's run")
    }

    @Test("Embedding tokens go into both tokenizers (clip_l / clip_g) or the one whose encoder's width fits")
    func embeddingTokenIDs() throws {
        let run = try #require(SDXLLoRAFixtures.cases.first { !$0.embeddings.isEmpty })
        let pipeline = try SDXLLoRAFixtures.pipeline(for: run)
        let prompt = try SDXLLoRAFixtures.manifest.get().prompt
        let slots = pipeline.conditioner.textEncoders
        #expect(slots.count == 2)
        #expect(slots[0].tokenizer.inputIDs(for: prompt) == run.promptIDs)
        #expect(slots[1].tokenizer.inputIDs(for: prompt) == run.promptIDs2)
        #expect(pipeline.adapters.embeddingTokens == ["xlstyle", "<g-only>"])
    }
}
