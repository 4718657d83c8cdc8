/// Latent consistency model sampling (Luo et al., "Latent Consistency Models"), step for step as
/// diffusers' `LCMScheduler` (`schedulers/scheduling_lcm.py`): each step maps the sample to a
/// denoised estimate through the consistency boundary condition and re-noises it to the next
/// timestep with fresh noise (every step but the last draws noise).
///
/// Supports every prediction type and beta schedule, `original_inference_steps`, `clip_sample` /
/// `clip_sample_range`, `set_alpha_to_one`, `timestep_scaling`. Not supported: custom timesteps,
/// LCM's own strength-aware `set_timesteps` (image-to-image follows the standard img2img pipeline),
/// `thresholding`, `rescale_betas_zero_snr`.
public struct LCMScheduler: Scheduler {
    /// The configuration this scheduler was made from.
    public let configuration: Configuration
    private let noiseSchedule: NoiseSchedule
    private let trainingTimesteps: [Int]
    private let finalAlphaCumprod: Float
    private var cursor: StepCursor

    /// Makes a scheduler.
    /// - Parameters:
    ///   - configuration: The options.
    ///   - steps: The number of inference steps, 1 … `original_inference_steps`.
    ///   - skippedSteps: Leading steps to skip (image-to-image).
    /// - Throws: ``SchedulerError`` for a bad step count or `original_inference_steps`.
    public init(configuration: Configuration, steps: Int, skippedSteps: Int = 0) throws(SchedulerError) {
        let name = Configuration.className
        try configuration.training.validate(scheduler: name)
        let trainSteps = configuration.training.numTrainTimesteps, original = configuration.originalInferenceSteps
        guard original >= 1, original <= trainSteps else {
            throw .invalidOption(scheduler: name, key: "original_inference_steps", value: "\(original)",
                                 reason: "must be in 1...\(trainSteps) (num_train_timesteps)")
        }
        try validateStepCount(steps, limit: min(original, trainSteps), scheduler: name)
        try validateSkippedSteps(skippedSteps, steps: steps, scheduler: name)
        self.configuration = configuration
        noiseSchedule = NoiseSchedule(configuration.training)
        // The distillation schedule k−1, 2k−1, …, then `steps` of its points, evenly spaced from the top.
        let spacing = trainSteps / original
        let distilled = (1...original).reversed().map { $0 * spacing - 1 }
        let positions = NumPyRange.linspace(0, Double(distilled.count), count: steps, endpoint: false)
        trainingTimesteps = positions.map { distilled[Int($0.rounded(.down))] }
        finalAlphaCumprod = configuration.setAlphaToOne ? 1 : noiseSchedule.alphasCumprod[0]
        cursor = try StepCursor(schedule: trainingTimesteps.map(Double.init), begin: skippedSteps, scheduler: name)
    }

    /// The remaining timesteps (integers).
    public var timesteps: [Double] { cursor.remaining }

    /// 1: LCM starts from unit-variance noise.
    public var initNoiseSigma: Float { 1 }

    /// The sample unchanged.
    /// - Throws: ``SchedulerError`` if `timestep` is not the one due.
    public func scaleModelInput(_ sample: Tensor, timestep: Double) throws(SchedulerError) -> Tensor {
        _ = try cursor.current(timestep, scheduler: Configuration.className)
        return sample
    }

    /// One consistency step: the denoised estimate, re-noised to the next timestep.
    /// - Throws: ``SchedulerError`` for mismatched shapes or an out-of-order timestep.
    public mutating func step(modelOutput: Tensor, timestep: Double, sample: Tensor,
                              random: any RandomSource) throws(SchedulerError) -> SchedulerOutput {
        let name = Configuration.className
        try checkSameShape(modelOutput, sample, scheduler: name)
        let index = try cursor.current(timestep, scheduler: name)
        let t = trainingTimesteps[index]
        let previous = index + 1 < trainingTimesteps.count ? trainingTimesteps[index + 1] : t
        let alphaProduct = noiseSchedule.alphasCumprod[t]
        let alphaProductPrevious = previous >= 0 ? noiseSchedule.alphasCumprod[previous] : finalAlphaCumprod
        let betaProductPrevious = 1 - alphaProductPrevious

        // The boundary condition c_skip, c_out in Float32, as the pipeline's tensor timestep makes them.
        let scaled = Float(t) * Float(configuration.timestepScaling)
        let sigmaData: Float = 0.5
        let skipWeight = (1 / (scaled * scaled + sigmaData * sigmaData)) * (sigmaData * sigmaData)
        let outputWeight = scaled / (scaled * scaled + sigmaData * sigmaData).squareRoot()

        var original = AlphaSpaceMath.predictedOriginal(configuration.predictionType, modelOutput: modelOutput,
                                                        sample: sample, alphaProduct: alphaProduct)
        if configuration.clipSample { original = AlphaSpaceMath.clamped(original, range: configuration.clipSampleRange) }
        let denoised = Elementwise.map(original, sample) { x0, x in outputWeight * x0 + skipWeight * x }
        var next = denoised
        if index != trainingTimesteps.count - 1 {
            let noise = try drawNoise(random, shape: modelOutput.shape, scheduler: name)
            let sqrtAlpha = alphaProductPrevious.squareRoot(), sqrtBeta = betaProductPrevious.squareRoot()
            next = Elementwise.map(denoised, noise) { d, n in sqrtAlpha * d + sqrtBeta * n }
        }
        cursor.advance()
        return SchedulerOutput(nextSample: next, predictedOriginalSample: denoised)
    }

    /// `√ᾱₜ·x₀ + √(1−ᾱₜ)·ε` at the integer training timestep `timestep`.
    /// - Throws: ``SchedulerError`` for mismatched shapes or a timestep outside the training schedule.
    public func addNoise(to original: Tensor, noise: Tensor, timestep: Double) throws(SchedulerError) -> Tensor {
        let name = Configuration.className
        try checkNoiseShape(original, noise, scheduler: name)
        let t = try AlphaSpaceMath.trainingTimestep(timestep, scheduler: name)
        return AlphaSpaceMath.addNoise(original, noise, alphaProduct: try noiseSchedule.alphaCumprod(at: t, scheduler: name))
    }
}
