import Foundation
import Testing
@testable import Pipeline
import _TestSupport

/// The conditioning value and the model-family seam: a conditioner decides what the denoiser reads,
/// the one step loop batches or splits the guidance halves, follows per-step schedules, and the family
/// supplies defaults. Uses the tiny SD 1.x fixture model.
@Suite("Conditioning seam")
struct ConditioningSeamTests {
    static func pipeline() throws -> StableDiffusionPipeline { try GenerationBehaviorTests.pipeline() }

    /// Counts denoiser calls and the batch sizes they carried.
    final class CountingPredictor: NoisePredictor, @unchecked Sendable {
        let base: any NoisePredictor
        private let log = LockedValue<[Int]>([])
        init(_ base: any NoisePredictor) { self.base = base }
        var batches: [Int] { log.withLock { $0 } }
        func predictNoise(latents: Tensor, timestep: Double, conditioning: DenoiserConditioning) throws -> Tensor {
            log.withLock { $0.append(latents.shape[0]) }
            return try base.predictNoise(latents: latents, timestep: timestep, conditioning: conditioning)
        }
    }

    /// Wraps the CLIP conditioner and rewrites what it returns.
    struct RewritingConditioner: PromptConditioner {
        let base: CLIPPromptConditioner
        let rewrite: @Sendable (PromptConditioning) throws -> PromptConditioning
        var textEncoders: [TextEncoderSlot] { base.textEncoders }
        func conditioning(for request: PromptRequest) throws(PipelineError) -> PromptConditioning {
            let plain = try base.conditioning(for: request)
            do { return try rewrite(plain) } catch { throw .component(name: "test conditioner", message: "\(error)") }
        }
    }

    static func rebuilt(_ loaded: StableDiffusionPipeline, family: ModelFamily = .stableDiffusion1,
                        predictor: (any NoisePredictor)? = nil,
                        rewrite: @escaping @Sendable (PromptConditioning) throws -> PromptConditioning) throws -> StableDiffusionPipeline {
        let conditioner = RewritingConditioner(base: CLIPPromptConditioner(tokenizer: loaded.tokenizer, textEncoder: loaded.textEncoder),
                                               rewrite: rewrite)
        return try StableDiffusionPipeline(family: family, conditioner: conditioner,
                                           noisePredictor: predictor ?? loaded.noisePredictor, decoder: loaded.decoder,
                                           encoder: loaded.encoder, schedulerOptions: loaded.schedulerOptions,
                                           defaultImageSize: loaded.defaultImageSize)
    }

    /// A negative context with every token twice has the same attention result (each key's weight
    /// halves, its value is counted twice), but a different token count, so the session must run
    /// the two halves as two denoiser calls (A1111's behaviour for prompts of different chunk
    /// counts). Tolerance 1e-4 of the latents' scale: the two paths differ only in float32 summation
    /// order (softmax over 154 instead of 77 keys, batch-1 GEMMs) over 3 steps; a wrong pairing of
    /// halves or a dropped guidance term changes the latents at order 1e-1.
    @Test("Halves with different token counts run as two denoiser calls and give the batched result")
    func unequalHalves() throws {
        let loaded = try Self.pipeline()
        let counting = CountingPredictor(loaded.noisePredictor)
        let doubled = try Self.rebuilt(loaded, predictor: counting) { plain in
            var result = plain
            let negative = plain.negative!.conditioning(atStep: 0)
            result.negative = ConditioningSchedule(DenoiserConditioning(
                context: try Tensor.concatenate([negative.context, negative.context], axis: 1)))
            return result
        }
        var parameters = GenerationBehaviorTests.parameters(seed: 3, steps: 3)
        parameters.scheduler = try loaded.scheduler(named: "ddim")  // one evaluation per step
        parameters.numberOfImages = 2
        let reference = try loaded.generate(prompt: "a red cube", parameters: parameters).latents
        let split = try doubled.generate(prompt: "a red cube", parameters: parameters).latents
        #expect(counting.batches == [2, 2, 2, 2, 2, 2])
        let comparison = Comparison(split, reference)
        #expect(comparison.relativeToScale <= 1e-4, "\(comparison)")
        #expect(comparison.maxAbsoluteError > 0 || split.scalars == reference.scalars)
    }

    /// A two-entry schedule uses its first conditioning for step 0 only: the first step's latents
    /// equal a constant run's exactly, and later ones differ.
    @Test("A conditioning schedule switches the conditioning at its step")
    func schedule() throws {
        let loaded = try Self.pipeline()
        let other = try loaded.conditioner.conditioning(for: PromptRequest(
            prompt: "a green sphere", negativePrompt: nil, guided: false, clipSkip: nil, width: 64, height: 64, steps: 3))
        let scheduled = try Self.rebuilt(loaded) { plain in
            var result = plain
            result.positive = try ConditioningSchedule(entries: [
                .init(endStep: 1, conditioning: plain.positive.conditioning(atStep: 0)),
                .init(endStep: 3, conditioning: other.positive.conditioning(atStep: 0)),
            ])
            return result
        }
        let parameters = GenerationBehaviorTests.parameters(seed: 4, steps: 3)
        let constant = try loaded.makeSession(prompt: "a red cube", parameters: parameters)
        let switching = try scheduled.makeSession(prompt: "a red cube", parameters: parameters)
        #expect(try constant.step().scalars == switching.step().scalars)
        #expect(try constant.step().scalars != switching.step().scalars)
        #expect(throws: PipelineError.self) { try ConditioningSchedule(entries: []) }
        #expect(throws: PipelineError.self) {
            try ConditioningSchedule(entries: [.init(endStep: 2, conditioning: other.positive.conditioning(atStep: 0)),
                                               .init(endStep: 2, conditioning: other.positive.conditioning(atStep: 0))])
        }
    }

    @Test("The family's defaults apply when the parameters leave guidance and strength unset")
    func familyDefaults() throws {
        let loaded = try Self.pipeline()
        #expect(loaded.family == .stableDiffusion1)
        let family = ModelFamily(name: "test", defaultGuidanceScale: 3, defaultStrength: 0.5)
        let pipeline = try Self.rebuilt(loaded, family: family) { $0 }
        var parameters = GenerationBehaviorTests.parameters(seed: 6, steps: 2)
        parameters.scheduler = try loaded.scheduler(named: "ddim")
        parameters.initImage = try RGBImage(pngFile: Fixtures.path("pipeline_runs/init-64.png"))
        let session = try pipeline.makeSession(prompt: "a cat", parameters: parameters)
        #expect(session.guidanceScale == 3 && session.strength == 0.5 && session.totalSteps == 1)
        let text = try pipeline.generate(prompt: "a cat", parameters: parameters).parametersText
        #expect(text.contains("CFG scale: 3,") && text.contains("Denoising strength: 0.5"))
        parameters.guidanceScale = 1
        parameters.strength = 1
        let explicit = try pipeline.makeSession(prompt: "a cat", parameters: parameters)
        #expect(explicit.guidanceScale == 1 && explicit.conditioning.negative == nil && explicit.totalSteps == 2)
    }

    @Test("A conditioner that answers the wrong guidance shape is a typed component error")
    func conditionerContract() throws {
        let loaded = try Self.pipeline()
        let broken = try Self.rebuilt(loaded) { PromptConditioning(positive: $0.positive, negative: nil) }
        #expect(throws: PipelineError.self) {
            try broken.makeSession(prompt: "a cat", parameters: GenerationBehaviorTests.parameters(seed: 1))
        }
    }

    /// The example of Documentation/SwappingTextEncoder.md, verbatim.
    struct TwoPhaseConditioner: PromptConditioner {
        let clip: CLIPPromptConditioner
        let later: String
        var textEncoders: [TextEncoderSlot] { clip.textEncoders }

        func conditioning(for request: PromptRequest) throws(PipelineError) -> PromptConditioning {
            var first = try clip.conditioning(for: request)
            var second = request
            second.prompt = later
            let switched = try clip.conditioning(for: second).positive.conditioning(atStep: 0)
            first.positive = try ConditioningSchedule(entries: [
                .init(endStep: request.steps / 3, conditioning: first.positive.conditioning(atStep: 0)),
                .init(endStep: request.steps, conditioning: switched),
            ])
            return first
        }
    }

    @Test("The documentation's two-phase conditioner runs its first phase, then the second")
    func documentedConditioner() throws {
        let loaded = try Self.pipeline()
        let clip = CLIPPromptConditioner(tokenizer: loaded.tokenizer, textEncoder: loaded.textEncoder)
        let twoPhase = try StableDiffusionPipeline(
            family: loaded.family, conditioner: TwoPhaseConditioner(clip: clip, later: "a green sphere"),
            noisePredictor: loaded.noisePredictor, decoder: loaded.decoder, encoder: loaded.encoder,
            schedulerOptions: loaded.schedulerOptions, defaultImageSize: loaded.defaultImageSize)
        var parameters = GenerationBehaviorTests.parameters(seed: 8, steps: 3)
        parameters.scheduler = try loaded.scheduler(named: "ddim")
        let constant = try loaded.makeSession(prompt: "a red cube", parameters: parameters)
        let phased = try twoPhase.makeSession(prompt: "a red cube", parameters: parameters)
        #expect(try constant.step().scalars == phased.step().scalars)
        #expect(try constant.step().scalars != phased.step().scalars)
    }
}
