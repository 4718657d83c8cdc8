import Dispatch
import Foundation
import TensorModule
import Schedulers

/// One generation, driven a step at a time: text encoding and the initial latents are done when the
/// session is made; each ``step()`` runs the denoiser (once, or once per guidance half) and one
/// scheduler update; ``decode()`` turns the final latents into images. Progress, previews and
/// cancellation fall out of this; the pipeline's `generate` runs a session to the end.
///
/// This is the one denoising loop for every model family and task: the family's conditioner supplies
/// the prompt conditioning (per step, for prompt schedules), and a task adds what it needs to the
/// ``DenoiserConditioning`` the denoiser reads, instead of growing a loop of its own.
///
/// A session is owned by one task (not `Sendable`); start as many sessions on one pipeline as you like.
public final class DenoisingSession {
    /// The pipeline the session runs on.
    public let pipeline: StableDiffusionPipeline
    /// The prompt.
    public let prompt: String
    /// The parameters as given.
    public let parameters: GenerationParameters
    /// The seed the random source was created with.
    public let seed: UInt64
    /// Output width in pixels.
    public let width: Int
    /// Output height in pixels.
    public let height: Int
    /// The sampler in use.
    public let schedulerConfiguration: any SchedulerConfiguration
    /// The current latents (after the last completed step).
    public private(set) var latents: Tensor
    /// The scheduler's estimate of the denoised latents at the last step, where it computes one.
    public private(set) var predictedOriginal: Tensor?
    /// Steps completed so far.
    public private(set) var completedSteps = 0
    /// Seconds spent encoding the prompt.
    public let textEncodingSeconds: Double
    /// The prompt conditioning the conditioner returned (batch 1 per side).
    public let conditioning: PromptConditioning
    /// The guidance scale in use (the parameters' or the family's default).
    public let guidanceScale: Float
    /// The image-to-image strength in use (the parameters' or the family's default).
    public let strength: Double
    /// Seconds each completed step took.
    public private(set) var stepSeconds: [Double] = []

    private var scheduler: any Scheduler
    private let random: any RandomSource
    private let guided: Bool
    /// Inpainting's mask inputs, when the parameters carry a mask.
    private let inpainting: InpaintingInputs?
    /// The ControlNets' prepared images and per-step residuals, when the parameters name any.
    private let control: ControlGuidance?
    /// The timesteps this pipeline runs: all of its scheduler's, or those before the cut of
    /// `denoisingEnd` / a refinement.
    private let baseTimesteps: [Double]
    /// The refiner's part of a hand-over, prepared up front; it takes over after the base's steps.
    private let refinerStage: RefinerStage?
    /// The refiner once it has taken over (nil before, and without a refinement).
    private var activeRefiner: RefinerStage?

    /// What the refiner of a ``Refinement`` runs with.
    private struct RefinerStage {
        let pipeline: StableDiffusionPipeline
        let conditioning: PromptConditioning
        let scheduler: any Scheduler
    }

    /// The timesteps the session will run (for image-to-image, only the remaining ones; with a
    /// refinement, the base's then the refiner's).
    public var timesteps: [Double] { baseTimesteps + (refinerStage?.scheduler.timesteps ?? []) }
    /// The number of steps the session will run.
    public var totalSteps: Int { baseTimesteps.count + (refinerStage?.scheduler.timesteps.count ?? 0) }
    /// Whether every step has run.
    public var isFinished: Bool { completedSteps >= totalSteps }

    init(pipeline: StableDiffusionPipeline, prompt: String, parameters: GenerationParameters) throws(PipelineError) {
        let resolved = try parameters.resolved(defaultSize: pipeline.defaultImageSize,
                                               downsamplingFactor: pipeline.decoder.downsamplingFactor,
                                               family: pipeline.family)
        if parameters.initImage != nil, parameters.initialLatents != nil {
            throw .invalidParameter(name: "initialLatents", value: "given together with initImage",
                                    allowed: "either initialLatents (text-to-image) or initImage (image-to-image)")
        }
        if pipeline.isInpaintingModel, parameters.mask == nil { throw .inpaintingModelNeedsMask(model: pipeline.modelName) }
        for (index, input) in parameters.controlNets.enumerated() {
            try pipeline.checkCompatibility(of: input.model, name: "controlNets[\(index)] (\(input.name))")
        }
        if parameters.initImage != nil, !parameters.controlNets.isEmpty {
            throw .invalidParameter(name: "controlNets", value: "given together with initImage",
                                    allowed: "ControlNets with text-to-image only (image-to-image ControlNet is not implemented)")
        }
        control = parameters.controlNets.isEmpty ? nil
            : ControlGuidance(inputs: parameters.controlNets, width: resolved.width, height: resolved.height)
        self.pipeline = pipeline
        self.prompt = prompt
        self.parameters = parameters
        self.width = resolved.width
        self.height = resolved.height
        self.guided = resolved.usesGuidance
        self.guidanceScale = resolved.guidanceScale
        self.strength = resolved.strength
        let seed = parameters.seed ?? UInt64.random(in: 0...UInt64(Int64.max))
        self.seed = seed
        let random = parameters.randomSource.makeSource(seed: seed)
        self.random = random
        let configuration = parameters.scheduler ?? pipeline.defaultScheduler
        self.schedulerConfiguration = configuration

        let start = DispatchTime.now()
        conditioning = try pipeline.conditioner.conditioning(for: PromptRequest(
            prompt: prompt, negativePrompt: parameters.negativePrompt, guided: guided, clipSkip: parameters.clipSkip,
            width: resolved.width, height: resolved.height, steps: parameters.steps,
            microConditioning: parameters.microConditioning, syntax: parameters.promptSyntax))
        guard guided == (conditioning.negative != nil) else {
            throw .component(name: "prompt conditioner", message: guided ? "returned no negative conditioning for a guided generation"
                                                                          : "returned a negative conditioning for an unguided generation")
        }
        textEncodingSeconds = Self.seconds(since: start)

        let latentShape = [parameters.numberOfImages, pipeline.decoder.latentChannels,
                           resolved.latentHeight, resolved.latentWidth]
        if let mask = parameters.mask, let image = parameters.initImage {
            // diffusers' inpainting order (see InpaintingInputs); the validation made sure of the image.
            guard let encoder = pipeline.encoder else { throw .imageToImageUnavailable }
            let scheduler = try attributing(to: "scheduler") {
                try configuration.makeScheduler(steps: parameters.steps, strength: resolved.strength)
            }
            let inputs = try InpaintingInputs(image: image, mask: mask, mode: pipeline.isInpaintingModel ? .extraChannels : .latentBlend,
                                              strength: resolved.strength, count: parameters.numberOfImages,
                                              encoder: encoder, scheduler: scheduler, random: random)
            latents = inputs.initialLatents
            inpainting = inputs
            self.scheduler = scheduler
        } else if let image = parameters.initImage {
            // diffusers' img2img order: the encoder's posterior sample, then the added noise, both
            // from the one generator.
            guard let encoder = pipeline.encoder else { throw .imageToImageUnavailable }
            let scheduler = try attributing(to: "scheduler") {
                try configuration.makeScheduler(steps: parameters.steps, strength: resolved.strength)
            }
            let encoded = try attributing(to: "VAE encoder") { try encoder.encode(image: image.normalizedTensor, random: random) }
            let repeated = try attributing(to: "pipeline") {
                try Tensor.concatenate(Array(repeating: encoded, count: parameters.numberOfImages), axis: 0)
            }
            let noise = random.normal(shape: repeated.shape)
            guard let first = scheduler.timesteps.first else {
                throw .invalidParameter(name: "strength", value: "\(resolved.strength)", allowed: "a strength that leaves at least one step")
            }
            latents = try attributing(to: "scheduler") { try scheduler.addNoise(to: repeated, noise: noise, timestep: first) }
            inpainting = nil
            self.scheduler = scheduler
        } else {
            let scheduler = try attributing(to: "scheduler") { try configuration.makeScheduler(steps: parameters.steps) }
            if let given = parameters.initialLatents, given.shape[1] != pipeline.decoder.latentChannels {
                throw .invalidParameter(name: "initialLatents", value: "shape \(given.shape)", allowed: "shape \(latentShape)")
            }
            let noise = parameters.initialLatents ?? random.normal(shape: latentShape)
            latents = noise * scheduler.initNoiseSigma
            inpainting = nil
            self.scheduler = scheduler
        }
        let baseStepCount: Int
        (baseStepCount, refinerStage) = try Self.prepareHandOver(
            pipeline: pipeline, parameters: parameters, scheduler: scheduler,
            request: PromptRequest(prompt: prompt, negativePrompt: parameters.negativePrompt, guided: guided,
                                   clipSkip: parameters.clipSkip, width: resolved.width, height: resolved.height,
                                   steps: parameters.steps, microConditioning: parameters.microConditioning,
                                   syntax: parameters.promptSyntax))
        baseTimesteps = Array(self.scheduler.timesteps.prefix(baseStepCount))
    }

    /// The cut of `denoisingEnd` or a refinement, and the refiner's prepared part: its conditioning (from
    /// its own conditioner, for the same request) and its scheduler begun below the cut. See ``Refinement``.
    private static func prepareHandOver(pipeline: StableDiffusionPipeline, parameters: GenerationParameters,
                                        scheduler: any Scheduler,
                                        request: PromptRequest) throws(PipelineError) -> (Int, RefinerStage?) {
        let refinement = parameters.refinement
        if refinement != nil, parameters.denoisingEnd != nil {
            throw .invalidParameter(name: "denoisingEnd", value: "given together with refinement",
                                    allowed: "either denoisingEnd or a refinement (whose start is the cut)")
        }
        guard let fraction = refinement?.start ?? parameters.denoisingEnd else { return (scheduler.timesteps.count, nil) }
        let name = refinement != nil ? "refinement.start" : "denoisingEnd"
        guard fraction > 0, fraction < 1 else { throw .invalidParameter(name: name, value: "\(fraction)", allowed: "0 < value < 1") }
        let trainTimesteps = pipeline.schedulerOptions.numTrainTimesteps ?? 1000
        let baseSteps = DenoisingCut.baseStepCount(timesteps: scheduler.timesteps,
                                                   cutoff: DenoisingCut.cutoff(fraction: fraction, trainTimesteps: trainTimesteps))
        guard baseSteps > 0 else {
            throw .invalidParameter(name: name, value: "\(fraction)", allowed: "a cut that leaves the base at least one step")
        }
        guard let refinement else { return (baseSteps, nil) }
        let refiner = refinement.refiner
        if parameters.mask != nil || !parameters.controlNets.isEmpty {
            throw .invalidParameter(name: "refinement", value: parameters.mask != nil ? "with an inpainting mask" : "with ControlNets",
                                    allowed: "a refinement of text-to-image or image-to-image generations")
        }
        guard refiner.decoder.latentChannels == pipeline.decoder.latentChannels, !refiner.isInpaintingModel,
              refiner.family.vaeScalingFactor == pipeline.family.vaeScalingFactor else {
            throw .invalidParameter(name: "refinement", value: "refiner \(refiner.modelName) (\(refiner.family))",
                                    allowed: "a refiner in the latent space of \(pipeline.modelName) (\(pipeline.family): "
                                        + "\(pipeline.decoder.latentChannels) latent channels, no inpainting UNet)")
        }
        let conditioning = try refiner.conditioner.conditioning(for: request)
        guard request.guided == (conditioning.negative != nil) else {
            throw .component(name: "refiner prompt conditioner", message: "returned the wrong guidance sides")
        }
        let configuration = refinement.scheduler ?? refiner.defaultScheduler
        let full = try attributing(to: "refiner scheduler") { try configuration.makeScheduler(steps: parameters.steps).timesteps }
        let order = configuration.order
        let cutoff = DenoisingCut.cutoff(fraction: fraction, trainTimesteps: refiner.schedulerOptions.numTrainTimesteps ?? 1000)
        let begin = DenoisingCut.refinerBeginIndex(timesteps: full, cutoff: cutoff, secondOrder: order == 2)
        let refinerScheduler = try DenoisingCut.scheduler(configuration, steps: parameters.steps, beginIndex: begin,
                                                          order: order, full: full)
        return (baseSteps, RefinerStage(pipeline: refiner, conditioning: conditioning, scheduler: refinerScheduler))
    }

    /// Runs the next step: the denoiser on both guidance halves (one batch when their token counts
    /// agree, two calls otherwise, as AUTOMATIC1111 does for prompts of different lengths) and one
    /// scheduler update (for inpainting with an ordinary model, followed by the blend of the kept area).
    ///
    /// - Returns: The latents after the step.
    /// - Throws: ``PipelineError`` from a component, or `invalidParameter` if the session is finished.
    @discardableResult
    public func step() throws(PipelineError) -> Tensor {
        guard !isFinished else {
            throw .invalidParameter(name: "step", value: "\(completedSteps + 1)", allowed: "at most \(totalSteps) steps")
        }
        let start = DispatchTime.now()
        if let refinerStage, activeRefiner == nil, completedSteps == baseTimesteps.count {
            // The hand-over: the refiner's scheduler, denoiser and conditioning from here on, same latents.
            scheduler = refinerStage.scheduler
            activeRefiner = refinerStage
        }
        let timestep = scheduler.timesteps[completedSteps - (activeRefiner == nil ? 0 : baseTimesteps.count)]
        let scaled = try attributing(to: "scheduler") { try scheduler.scaleModelInput(latents, timestep: timestep) }
        let prediction = try predict(scaled, timestep: timestep, step: completedSteps)
        let guidedPrediction = try guided ? applyGuidance(prediction) : prediction
        let output = try attributing(to: "scheduler") {
            try scheduler.step(modelOutput: guidedPrediction, timestep: timestep, sample: latents, random: random)
        }
        latents = output.nextSample
        if let inpainting {
            // Legacy inpainting (ordinary UNet): the kept area goes back to the init latents.
            latents = try inpainting.blended(latents, scheduler: scheduler, nextStep: completedSteps + 1)
        }
        predictedOriginal = output.predictedOriginalSample
        completedSteps += 1
        stepSeconds.append(Self.seconds(since: start))
        return latents
    }

    /// The denoiser's prediction for this step: `[unconditional, conditional]` rows when guided.
    private func predict(_ scaled: Tensor, timestep: Double, step: Int) throws(PipelineError) -> Tensor {
        let count = parameters.numberOfImages
        // An inpainting model reads the mask and the masked image's latents after the latents, in
        // both guidance halves (diffusers' `torch.cat([mask] * 2)`).
        let extra = inpainting.flatMap { $0.mode == .extraChannels ? $0.extraChannels : nil }
        let conditioning = activeRefiner?.conditioning ?? self.conditioning
        var positive = try attributing(to: "pipeline") { try conditioning.positive.conditioning(atStep: step).repeatingRows(count) }
        if let extra { positive.extraInputChannels = extra }
        guard let negativeSchedule = conditioning.negative else {
            return try denoise(scaled, timestep: timestep, conditioning: positive, step: step)
        }
        var negative = try attributing(to: "pipeline") { try negativeSchedule.conditioning(atStep: step).repeatingRows(count) }
        if let extra { negative.extraInputChannels = extra }
        if negative.tokenCount == positive.tokenCount {
            let batched = try attributing(to: "pipeline") { try DenoiserConditioning.concatenated([negative, positive]) }
            let input = try attributing(to: "pipeline") { try Tensor.concatenate([scaled, scaled], axis: 0) }
            return try denoise(input, timestep: timestep, conditioning: batched, step: step)
        }
        let halves = [try denoise(scaled, timestep: timestep, conditioning: negative, step: step),
                      try denoise(scaled, timestep: timestep, conditioning: positive, step: step)]
        return try attributing(to: "pipeline") { try Tensor.concatenate(halves, axis: 0) }
    }

    /// One denoiser call, with the ControlNets' residuals for this step added to the conditioning
    /// (computed on the same batch, context and timestep, as diffusers' ControlNet pipeline does).
    private func denoise(_ latents: Tensor, timestep: Double, conditioning: DenoiserConditioning,
                         step: Int) throws(PipelineError) -> Tensor {
        var conditioning = conditioning
        if let control, let residuals = try control.residuals(step: step, of: totalSteps, latents: latents, timestep: timestep,
                                                              context: conditioning.context) {
            conditioning.controlResiduals = residuals
        }
        let denoiser = activeRefiner?.pipeline.noisePredictor ?? pipeline.noisePredictor
        return try attributing(to: activeRefiner == nil ? "UNet" : "refiner UNet") {
            try denoiser.predictNoise(latents: latents, timestep: timestep, conditioning: conditioning)
        }
    }

    /// `uncond + g · (text − uncond)`, in diffusers' operation order.
    private func applyGuidance(_ prediction: Tensor) throws(PipelineError) -> Tensor {
        let count = latents.shape[0]
        guard prediction.rank == 4, prediction.shape[0] == 2 * count else {
            throw .component(name: "UNet", message: "returned shape \(prediction.shape) for a guided batch of \(2 * count)")
        }
        let halves = try attributing(to: "pipeline") { try prediction.chunked(2, axis: 0) }
        let scale = guidanceScale
        return try attributing(to: "pipeline") {
            try halves[0].broadcasting(halves[1], operation: "guidance") { uncond, text in uncond + scale * (text - uncond) }
        }
    }

    /// Decodes the current latents into images.
    ///
    /// The buffers the denoising loop kept for reuse are released first and the decoder's afterwards
    /// (``ComputeMemory/releaseCachedBuffers()``): neither phase can reuse the other's sizes, and
    /// holding them would only raise the peak. (The decoder itself keeps its buffers from growing the
    /// process, see `VAEDecoder.decode(unscaledLatents:)`.)
    ///
    /// - Returns: One image per latent.
    /// - Throws: ``PipelineError`` from the decoder.
    public func decode() throws(PipelineError) -> [RGBImage] {
        ComputeMemory.releaseCachedBuffers()
        defer { ComputeMemory.releaseCachedBuffers() }
        // After a hand-over the refiner's VAE decodes, as diffusers' refiner call does.
        let decoder = activeRefiner?.pipeline.decoder ?? pipeline.decoder
        let decoded = try attributing(to: "VAE decoder") { try decoder.decode(latents: latents) }
        var images: [RGBImage] = []
        for index in 0..<latents.shape[0] { images.append(try RGBImage(decoderOutput: decoded, index: index)) }
        if let blur = parameters.maskBlur, let mask = parameters.mask, let original = parameters.initImage {
            images = images.map { mask.pastingBack(original: original, onto: $0, blur: blur) }
        }
        return images
    }

    static func seconds(since start: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }
}

extension StableDiffusionPipeline {
    /// Starts a generation to be driven step by step: encodes the prompt and prepares the initial
    /// latents (for image-to-image, encodes and noises the init image; for inpainting, also encodes
    /// the masked image and downsamples the mask).
    ///
    /// - Parameters:
    ///   - prompt: What to draw.
    ///   - parameters: Everything else.
    /// - Returns: A session positioned before its first step.
    /// - Throws: ``PipelineError`` for invalid parameters or a failing component.
    public func makeSession(prompt: String, parameters: GenerationParameters = GenerationParameters()) throws(PipelineError) -> DenoisingSession {
        try DenoisingSession(pipeline: self, prompt: prompt, parameters: parameters)
    }
}
