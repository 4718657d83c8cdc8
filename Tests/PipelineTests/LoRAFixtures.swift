import Foundation
import StableDiffusion
import Testing
import _TestSupport

/// One run recorded from diffusers 0.42.1 + peft by `Tests/Fixtures/generators/lora.py` (an entry of
/// `lora/cases.json`).
struct LoRARunCase: Codable, Sendable, CustomStringConvertible {
    struct LoRAFile: Codable, Sendable { var file: String; var scale: Float }
    struct EmbeddingFile: Codable, Sendable { var file: String; var token: String? }

    var name: String
    var loras: [LoRAFile]
    var embeddings: [EmbeddingFile]
    var scheduler: String?
    var steps: Int
    var guidance: Float
    var seed: UInt64
    var fixedLatents: Bool
    var singleFile: Bool
    /// diffusers' token ids of the prompt after `maybe_convert_prompt`.
    var promptIDs: [Int]

    var description: String { name }

    enum CodingKeys: String, CodingKey {
        case name, loras, embeddings, scheduler, steps, guidance, seed
        case fixedLatents = "fixed_latents", singleFile = "single_file", promptIDs = "prompt_ids"
    }
}

/// `lora/cases.json`.
struct LoRARunManifest: Codable, Sendable {
    var prompt: String
    var negativePrompt: String
    var cases: [LoRARunCase]

    enum CodingKeys: String, CodingKey {
        case prompt, cases
        case negativePrompt = "negative_prompt"
    }
}

enum LoRAFixtures {
    static let manifest: Result<LoRARunManifest, any Error> = Result {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("lora/cases.json")))
        return try JSONDecoder().decode(LoRARunManifest.self, from: data)
    }

    static var cases: [LoRARunCase] { (try? manifest.get())?.cases ?? [] }

    static func adapter(_ file: String) -> String { Fixtures.path("lora/adapters/\(file)") }

    static func base(singleFile: Bool) throws -> StableDiffusionPipeline {
        try (singleFile ? PipelineRunFixtures.sd15SingleFile : PipelineRunFixtures.sd15Folder).get()
    }

    /// The case's pipeline: its base with its LoRAs and embeddings applied.
    static func pipeline(for run: LoRARunCase) throws -> StableDiffusionPipeline {
        let loras = try run.loras.map { try LoRA(contentsOf: adapter($0.file), scale: $0.scale) }
        let embeddings = try run.embeddings.map { try TextualInversion(contentsOf: adapter($0.file), token: $0.token) }
        return try base(singleFile: run.singleFile).applying(loras: loras, embeddings: embeddings)
    }

    static func tensor(_ name: String) throws -> Tensor { try Fixtures.tensor("lora/runs.safetensors", name) }

    /// The parameters that reproduce a case.
    static func parameters(for run: LoRARunCase, on pipeline: StableDiffusionPipeline) throws -> GenerationParameters {
        let manifest = try manifest.get()
        var parameters = GenerationParameters(negativePrompt: manifest.negativePrompt, steps: run.steps,
                                              guidanceScale: run.guidance, seed: run.seed)
        parameters.randomSource = .torch
        if let name = run.scheduler { parameters.scheduler = try pipeline.scheduler(named: name) }
        if run.fixedLatents { parameters.initialLatents = try tensor("initial_latents") }
        return parameters
    }

    static func generate(_ run: LoRARunCase, on pipeline: StableDiffusionPipeline) throws -> GenerationResult {
        try pipeline.generate(prompt: try manifest.get().prompt, parameters: parameters(for: run, on: pipeline))
    }
}
