import Foundation
import Synchronization
import Testing
@testable import Pipeline
import _TestSupport

/// Pipeline behaviour beyond numeric parity: validation, sessions, cancellation, concurrency,
/// long prompts, component swapping. Uses the tiny SD 1.x fixture model (64×64, milliseconds per step).
@Suite("Generation behaviour")
struct GenerationBehaviorTests {
    static let tiny: Result<StableDiffusionPipeline, PipelineError> = Result { () throws(PipelineError) in
        try StableDiffusionPipeline(contentsOf: Fixtures.path("pipeline/sd15-tiny"))
    }

    static func pipeline() throws -> StableDiffusionPipeline { try tiny.get() }

    static func parameters(seed: UInt64, steps: Int = 3) -> GenerationParameters {
        var parameters = GenerationParameters()
        parameters.seed = seed
        parameters.steps = steps
        parameters.negativePrompt = "blurry"
        return parameters
    }

    /// One out-of-range parameter each, with the name the error must report.
    enum BadParameter: String, CaseIterable, Sendable {
        case widthNotMultiple, widthNegative, heightZero, widthHuge, stepsZero, stepsNegative, guidanceNaN
        case guidanceInfinite, strengthAbove, strengthBelow, noImages, clipSkipNegative, latentsShape
        case latentsNaN, initImageSize

        var expectedName: String {
            switch self {
            case .widthNotMultiple, .widthNegative, .widthHuge: return "width"
            case .heightZero: return "height"
            case .stepsZero, .stepsNegative: return "steps"
            case .guidanceNaN, .guidanceInfinite: return "guidanceScale"
            case .strengthAbove, .strengthBelow: return "strength"
            case .noImages: return "numberOfImages"
            case .clipSkipNegative: return "clipSkip"
            case .latentsShape, .latentsNaN: return "initialLatents"
            case .initImageSize: return "initImage"
            }
        }

        func apply(to p: inout GenerationParameters) {
            switch self {
            case .widthNotMultiple: p.width = 60
            case .widthNegative: p.width = -8
            case .heightZero: p.height = 0
            case .widthHuge: p.width = 1 << 20
            case .stepsZero: p.steps = 0
            case .stepsNegative: p.steps = -3
            case .guidanceNaN: p.guidanceScale = .nan
            case .guidanceInfinite: p.guidanceScale = .infinity
            case .strengthAbove: p.strength = 1.5
            case .strengthBelow: p.strength = -0.1
            case .noImages: p.numberOfImages = 0
            case .clipSkipNegative: p.clipSkip = -1
            case .latentsShape: p.initialLatents = .zeros([1, 4, 5, 8])
            case .latentsNaN: p.initialLatents = Tensor(repeating: .nan, shape: [1, 4, 8, 8])
            case .initImageSize:
                p.initImage = RGBImage(width: 8, height: 8, pixels: .init(repeating: 0, count: 192))
                p.width = 64
                p.height = 64
            }
        }
    }

    @Test("Invalid parameters are typed errors naming the parameter and its range", arguments: BadParameter.allCases)
    func invalidParameters(_ bad: BadParameter) throws {
        var parameters = Self.parameters(seed: 1)
        bad.apply(to: &parameters)
        let error = #expect(throws: PipelineError.self) { try Self.pipeline().makeSession(prompt: "x", parameters: parameters) }
        guard case .invalidParameter(let reported, _, let allowed)? = error else {
            Issue.record("expected invalidParameter(\(bad.expectedName)), got \(String(describing: error))")
            return
        }
        #expect(reported == bad.expectedName)
        #expect(!allowed.isEmpty)
    }

    @Test("A session driven step by step gives exactly what generate gives")
    func sessionMatchesGenerate() throws {
        let pipeline = try Self.pipeline()
        let parameters = Self.parameters(seed: 7)
        let session = try pipeline.makeSession(prompt: "a red fox", parameters: parameters)
        #expect(session.totalSteps == session.timesteps.count)
        while !session.isFinished { try session.step() }
        #expect(throws: PipelineError.self) { try session.step() }
        let result = try pipeline.generate(prompt: "a red fox", parameters: parameters)
        #expect(session.latents.scalars == result.latents.scalars)
        #expect(try session.decode() == result.images)
        #expect(result.seed == 7)
        #expect(result.statistics.stepSeconds.count == session.totalSteps)
        #expect(result.parametersText.hasPrefix("a red fox\nNegative prompt: blurry\nSteps: 3, Sampler: PLMS"))
    }

    @Test("The same inputs give bit-identical outputs; four concurrent generations equal the same four run in turn")
    func concurrentEqualsSerial() async throws {
        let pipeline = try Self.pipeline()
        let prompts = ["a cat", "a dog on a skateboard", "a lighthouse at night", "an astronaut riding a horse"]
        let serial = try prompts.enumerated().map { index, prompt in
            try pipeline.generate(prompt: prompt, parameters: Self.parameters(seed: UInt64(100 + index))).latents.scalars
        }
        let again = try await pipeline.generate(prompt: prompts[0], parameters: Self.parameters(seed: 100)).latents.scalars
        #expect(again == serial[0])
        let concurrent = try await withThrowingTaskGroup(of: (Int, [Float]).self) { group in
            for (index, prompt) in prompts.enumerated() {
                group.addTask {
                    (index, try await pipeline.generate(prompt: prompt, parameters: Self.parameters(seed: UInt64(100 + index))).latents.scalars)
                }
            }
            var results = [[Float]](repeating: [], count: prompts.count)
            for try await (index, latents) in group { results[index] = latents }
            return results
        }
        #expect(concurrent == serial)
        #expect(Set(serial.map { $0.prefix(8) }.map(Array.init)).count == 4, "different prompts and seeds should differ")
    }

    @Test("Cancelling the task stops the generation before the next step")
    func cancellation() async throws {
        let pipeline = try Self.pipeline()
        let stepsSeen = LockedValue(0)
        let task = Task {
            try await pipeline.generate(prompt: "a slow picture", parameters: Self.parameters(seed: 3, steps: 200)) { progress in
                stepsSeen.withLock { $0 = progress.step }
                if progress.step == 2 { withUnsafeCurrentTask { $0?.cancel() } }
            }
        }
        while stepsSeen.withLock({ $0 }) < 2 { try await Task.sleep(nanoseconds: 1_000_000) }
        task.cancel()
        let outcome = await task.result
        guard case .failure(let error) = outcome else {
            Issue.record("generation finished despite cancellation")
            return
        }
        #expect(error as? PipelineError == .cancelled)
        #expect(stepsSeen.withLock { $0 } < 200)
    }

    @Test("A prompt longer than one window is encoded in 77-token windows; the negative prompt is padded to match")
    func longPrompt() throws {
        let pipeline = try Self.pipeline()
        let long = Array(repeating: "a very detailed painting of a castle on a hill", count: 12).joined(separator: ", ")
        let windows = pipeline.tokenizer.windowedInputIDs(for: long).count
        #expect(windows > 1)
        let guided = try pipeline.conditioner.conditioning(for: Self.request(long, guided: true))
        let shape = [1, 77 * windows, pipeline.textEncoder.embeddingWidth]
        #expect(guided.positive.conditioning(atStep: 0).context.shape == shape)
        #expect(guided.negative?.conditioning(atStep: 0).context.shape == shape)
        // The first window of the long prompt is the truncated prompt's encoding.
        let truncated = try pipeline.conditioner.conditioning(for: Self.request(long, guided: false)).positive.conditioning(atStep: 0).context
        let single = try pipeline.textEncoder.encode(tokenIDs: [pipeline.tokenizer.inputIDs(for: long)], clipSkip: nil)
        // Tolerance 1e-5 of the scale: the same rows, but in a 77-row product instead of a 154-row one,
        // and OpenBLAS's Haswell/Zen kernels round rows at a block's edge differently (measured 1e-6
        // of scale; a wrong window order or padding differs at order 1).
        let comparison = Comparison(try truncated.slice(axis: 1, 0..<77), single)
        #expect(comparison.relativeToScale <= 1e-5, "\(comparison)")
        // A long prompt generates.
        _ = try pipeline.generate(prompt: long, parameters: Self.parameters(seed: 5, steps: 1))
    }

    @Test("Without guidance (scale ≤ 1) only the positive prompt is encoded and the result differs from guided")
    func noGuidance() throws {
        let pipeline = try Self.pipeline()
        var parameters = Self.parameters(seed: 11)
        parameters.guidanceScale = 1
        let unguided = try pipeline.generate(prompt: "a cat", parameters: parameters)
        let conditioning = try pipeline.conditioner.conditioning(for: Self.request("a cat", negative: "blurry", guided: false))
        #expect(conditioning.negative == nil)
        #expect(conditioning.positive.conditioning(atStep: 0).batchSize == 1)
        parameters.guidanceScale = 7.5
        #expect(try pipeline.generate(prompt: "a cat", parameters: parameters).latents.scalars != unguided.latents.scalars)
    }

    static func request(_ prompt: String, negative: String? = nil, guided: Bool) -> PromptRequest {
        PromptRequest(prompt: prompt, negativePrompt: negative, guided: guided, clipSkip: nil, width: 64, height: 64, steps: 1)
    }

    /// The example of Documentation/SwappingTextEncoder.md.
    struct ScaledTextEncoder: TextEncoding {
        let base: CLIPTextModel
        let scale: Float
        var embeddingWidth: Int { base.embeddingWidth }
        var maximumSequenceLength: Int { base.maximumSequenceLength }
        func encode(tokenIDs: [[Int]], clipSkip: Int?) throws -> Tensor {
            try base.encode(tokenIDs: tokenIDs, clipSkip: clipSkip) * scale
        }
    }

    @Test("A swapped-in text encoder is what the pipeline uses (the documentation's example)")
    func swappedTextEncoder() throws {
        let loaded = try Self.pipeline()
        let clip = try CLIPTextModel(folder: URL(fileURLWithPath: Fixtures.path("pipeline/sd15-tiny/text_encoder")))
        func pipeline(scale: Float) throws -> StableDiffusionPipeline {
            try StableDiffusionPipeline(
                tokenizer: loaded.tokenizer, textEncoder: ScaledTextEncoder(base: clip, scale: scale),
                noisePredictor: loaded.noisePredictor, decoder: loaded.decoder, encoder: loaded.encoder,
                schedulerOptions: loaded.schedulerOptions, defaultImageSize: loaded.defaultImageSize)
        }
        let parameters = Self.parameters(seed: 9, steps: 2)
        let reference = try loaded.generate(prompt: "a cat", parameters: parameters).latents.scalars
        #expect(try pipeline(scale: 1).generate(prompt: "a cat", parameters: parameters).latents.scalars == reference)
        #expect(try pipeline(scale: 1.5).generate(prompt: "a cat", parameters: parameters).latents.scalars != reference)
    }

    @Test("Loading errors name the path and what was expected")
    func loadingErrors() throws {
        #expect(throws: PipelineError.fileNotFound(path: "/nonexistent/model", what: "model folder or checkpoint file")) {
            try StableDiffusionPipeline(contentsOf: "/nonexistent/model")
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pipeline-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let error = #expect(throws: PipelineError.self) { try StableDiffusionPipeline(contentsOf: folder.path) }
        #expect(error?.description.contains("model_index.json") == true)
        try Data(#"{"_class_name": "StableDiffusion3Pipeline"}"#.utf8).write(to: folder.appendingPathComponent("model_index.json"))
        let sd3 = #expect(throws: PipelineError.self) { try StableDiffusionPipeline(contentsOf: folder.path) }
        #expect(sd3?.description.contains("StableDiffusion3Pipeline") == true)
        // An SDXL folder needs both tokenizers and both text encoders.
        try Data(#"{"_class_name": "StableDiffusionXLPipeline"}"#.utf8).write(to: folder.appendingPathComponent("model_index.json"))
        #expect(throws: PipelineError.fileNotFound(path: folder.appendingPathComponent("tokenizer").path, what: "tokenizer/ folder")) {
            try StableDiffusionPipeline(contentsOf: folder.path)
        }
        // A refiner (no first text encoder, aesthetic-score conditioning) needs only the second pair.
        try Data(#"{"_class_name": "StableDiffusionXLImg2ImgPipeline", "requires_aesthetics_score": true, "text_encoder": [null, null]}"#.utf8)
            .write(to: folder.appendingPathComponent("model_index.json"))
        #expect(throws: PipelineError.fileNotFound(path: folder.appendingPathComponent("tokenizer_2").path, what: "tokenizer_2/ folder")) {
            try StableDiffusionPipeline(contentsOf: folder.path)
        }
        let pickle = folder.appendingPathComponent("model.ckpt")
        try Data([0x80, 0x02, 0x7D, 0x71]).write(to: pickle)
        let refused = #expect(throws: PipelineError.self) { try StableDiffusionPipeline(contentsOf: pickle.path) }
        #expect(refused?.description.contains("safetensors") == true)
    }
}
