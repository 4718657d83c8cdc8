import Foundation
import StableDiffusion
import Testing
import _TestSupport

/// One run recorded from diffusers 0.42.1 + peft on the tiny SDXL folder by
/// `Tests/Fixtures/generators/lora_sdxl.py` (an entry of `sdxl/lora/cases.json`).
struct SDXLLoRARunCase: Codable, Sendable, CustomStringConvertible {
    struct LoRAFile: Codable, Sendable { var file: String; var scale: Float }
    struct EmbeddingFile: Codable, Sendable { var file: String }

    var name: String
    var loras: [LoRAFile]
    var embeddings: [EmbeddingFile]
    var seed: UInt64
    var fixedLatents: Bool
    /// diffusers' ids of the prompt after `maybe_convert_prompt`, for `tokenizer` and `tokenizer_2`.
    var promptIDs: [Int]
    var promptIDs2: [Int]

    var description: String { name }

    enum CodingKeys: String, CodingKey {
        case name, loras, embeddings, seed
        case fixedLatents = "fixed_latents", promptIDs = "prompt_ids", promptIDs2 = "prompt_ids_2"
    }
}

/// `sdxl/lora/cases.json`.
struct SDXLLoRARunManifest: Codable, Sendable {
    var prompt: String
    var negativePrompt: String
    var steps: Int
    var guidance: Float
    var cases: [SDXLLoRARunCase]

    enum CodingKeys: String, CodingKey {
        case prompt, steps, guidance, cases
        case negativePrompt = "negative_prompt"
    }
}

enum SDXLLoRAFixtures {
    static let manifest: Result<SDXLLoRARunManifest, any Error> = Result {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("sdxl/lora/cases.json")))
        return try JSONDecoder().decode(SDXLLoRARunManifest.self, from: data)
    }

    static var cases: [SDXLLoRARunCase] { (try? manifest.get())?.cases ?? [] }

    static func adapter(_ file: String) -> String { Fixtures.path("sdxl/lora/adapters/\(file)") }

    static var base: StableDiffusionPipeline { get throws { try SDXLRunFixtures.sdxl.get() } }

    /// The case's pipeline: the SDXL folder with its LoRAs and embeddings applied.
    static func pipeline(for run: SDXLLoRARunCase) throws -> StableDiffusionPipeline {
        let loras = try run.loras.map { try LoRA(contentsOf: adapter($0.file), scale: $0.scale) }
        let embeddings = try run.embeddings.map { try TextualInversion(contentsOf: adapter($0.file)) }
        return try base.applying(loras: loras, embeddings: embeddings)
    }

    static func tensor(_ name: String) throws -> Tensor { try Fixtures.tensor("sdxl/lora/runs.safetensors", name) }

    /// The parameters that reproduce a case (the prompt read verbatim, as diffusers reads it).
    static func parameters(for run: SDXLLoRARunCase) throws -> GenerationParameters {
        let manifest = try manifest.get()
        var parameters = GenerationParameters(negativePrompt: manifest.negativePrompt, steps: manifest.steps,
                                              guidanceScale: manifest.guidance, seed: run.seed)
        parameters.randomSource = .torch
        parameters.promptSyntax = .plain
        if run.fixedLatents { parameters.initialLatents = try tensor("initial_latents") }
        return parameters
    }

    static func generate(_ run: SDXLLoRARunCase, on pipeline: StableDiffusionPipeline) throws -> GenerationResult {
        try pipeline.generate(prompt: try manifest.get().prompt, parameters: parameters(for: run))
    }
}
