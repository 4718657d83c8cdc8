import Foundation
import StableDiffusion
import Testing
import _TestSupport

/// How adapted pipelines behave as values: switching LoRAs, the base left alone, what the PNG says.
@Suite("Adapters: switching, values and PNG parameters")
struct AdapterBehaviorTests {
    static func oneStep(_ pipeline: StableDiffusionPipeline) throws -> GenerationResult {
        let run = try #require(LoRAFixtures.cases.first { $0.name == "kohya-0.8" })
        var parameters = try LoRAFixtures.parameters(for: run, on: pipeline)
        parameters.steps = 1
        return try pipeline.generate(prompt: try LoRAFixtures.manifest.get().prompt, parameters: parameters)
    }

    static func lora(_ file: String, _ scale: Float = 1) throws -> LoRA {
        try LoRA(contentsOf: LoRAFixtures.adapter(file), scale: scale)
    }

    @Test("Applying to an adapted pipeline replaces its adapters: switching gives what applying to the base gives")
    func switching() throws {
        let base = try LoRAFixtures.base(singleFile: false)
        let kohya = try base.applying(loras: [try Self.lora("kohya.safetensors", 0.8)])
        let switched = try base.applying(loras: [try Self.lora("peft.safetensors")]).applying(loras: [try Self.lora("kohya.safetensors", 0.8)])
        let cleared = try kohya.applying(loras: [])
        #expect(try Self.oneStep(switched).latents.scalars == Self.oneStep(kohya).latents.scalars)
        #expect(try Self.oneStep(cleared).latents.scalars == Self.oneStep(base).latents.scalars)
        #expect(try Self.oneStep(kohya).latents.scalars != Self.oneStep(base).latents.scalars)
        #expect(base.adapters.isEmpty && cleared.adapters.isEmpty)
        #expect(kohya.adapters.loras == [AppliedAdapters.LoRAReference(name: "kohya", scale: 0.8)])
    }

    @Test("Scale 0 is the base model; the scale multiplies the delta")
    func scaleZero() throws {
        let base = try LoRAFixtures.base(singleFile: false)
        let off = try base.applying(loras: [try Self.lora("kohya.safetensors", 0)])
        #expect(try Self.oneStep(off).latents.scalars == Self.oneStep(base).latents.scalars)
    }

    @Test("The PNG parameters end the prompt with A1111's <lora:name:scale> tags")
    func parametersText() throws {
        let base = try LoRAFixtures.base(singleFile: false)
        let adapted = try base.applying(loras: [try Self.lora("kohya.safetensors", 0.8), try Self.lora("peft.safetensors")])
        let text = try Self.oneStep(adapted).parametersText
        let prompt = try LoRAFixtures.manifest.get().prompt
        #expect(text.hasPrefix("\(prompt) <lora:kohya:0.8> <lora:peft:1>\n"), "\(text)")
        #expect(!(try Self.oneStep(base).parametersText.contains("<lora:")))
    }

    @Test("kohya files with the original LDM module names apply as the same LoRA with diffusers names")
    func ldmNames() throws {
        let base = try LoRAFixtures.base(singleFile: false)
        let diffusers = try base.applying(loras: [try Self.lora("kohya.safetensors")])
        let ldm = try base.applying(loras: [try Self.lora("kohya-ldm.safetensors")])
        #expect(ldm.adapters.warnings.isEmpty, "\(ldm.adapters.warnings)")
        #expect(try Self.oneStep(ldm).latents.scalars == Self.oneStep(diffusers).latents.scalars)
    }
}
