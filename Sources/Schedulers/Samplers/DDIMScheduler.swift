/// DDIM (Song et al., "Denoising Diffusion Implicit Models"), step for step as diffusers'
/// `DDIMScheduler` (`schedulers/scheduling_ddim.py`).
///
/// Supports every prediction type, beta schedule and timestep spacing, `steps_offset`,
/// `set_alpha_to_one`, `clip_sample` / `clip_sample_range`, and η (`eta`). Not supported:
/// `thresholding`, `rescale_betas_zero_snr`, `use_clipped_model_output`, custom timesteps.
public struct DDIMScheduler: Scheduler {
    /// The configuration this scheduler was made from.
    public let configuration: Configuration
    private let noiseSchedule: NoiseSchedule
    private let trainingTimesteps: [Int]
    private let inferenceSteps: Int
    private let finalAlphaCumprod: Float
    private var cursor: StepCursor

    /// Makes a scheduler.
    /// - Parameters:
    ///   - configuration: The options.
    ///   - steps: The number of inference steps, 1 … `num_train_timesteps`.
    ///   - skippedSteps: Leading steps to skip (image-to-image).
    /// - Throws: ``SchedulerError`` for a bad step count or a timestep outside the training schedule.
    public init(configuration: Configuration, steps: Int, skippedSteps: Int = 0) throws(SchedulerError) {
        let name = Configuration.className
        try configuration.training.validate(scheduler: name)
        try validateStepCount(steps, limit: configuration.training.numTrainTimesteps, scheduler: name)
        try validateSkippedSteps(skippedSteps, steps: steps, scheduler: name)
        self.configuration = configuration
        noiseSchedule = NoiseSchedule(configuration.training)
        trainingTimesteps = TimestepGrids.descendingIntegers(
            configuration.timestepSpacing, steps: steps, numTrainTimesteps: configuration.training.numTrainTimesteps,
            stepsOffset: configuration.stepsOffset)
        for t in trainingTimesteps { _ = try noiseSchedule.alphaCumprod(at: t, scheduler: name) }
        inferenceSteps = steps
        finalAlphaCumprod = configuration.setAlphaToOne ? 1 : noiseSchedule.alphasCumprod[0]
        cursor = try StepCursor(schedule: trainingTimesteps.map(Double.init), begin: skippedSteps, scheduler: name)
    }

    /// The remaining timesteps (integers).
    public var timesteps: [Double] { cursor.remaining }

    /// 1: DDIM starts from unit-variance noise.
    public var initNoiseSigma: Float { 1 }

    /// The sample unchanged (DDIM does not scale the model input).
    /// - Throws: ``SchedulerError`` if `timestep` is not the one due.
    public func scaleModelInput(_ sample: Tensor, timestep: Double) throws(SchedulerError) -> Tensor {
        _ = try cursor.current(timestep, scheduler: Configuration.className)
        return sample
    }

    /// One DDIM step (formula 12 of the paper), with the predicted original sample.
    /// - Throws: ``SchedulerError`` for mismatched shapes or an out-of-order timestep.
    public mutating func step(modelOutput: Tensor, timestep: Double, sample: Tensor,
                              random: any RandomSource) throws(SchedulerError) -> SchedulerOutput {
        let name = Configuration.className
        try checkSameShape(modelOutput, sample, scheduler: name)
        let index = try cursor.current(timestep, scheduler: name)
        let t = trainingTimesteps[index]
        // diffusers steps back by num_train_timesteps // steps whatever the spacing.
        let previous = t - configuration.training.numTrainTimesteps / inferenceSteps
        let alphaProduct = noiseSchedule.alphasCumprod[t]
        let alphaProductPrevious = previous >= 0 ? noiseSchedule.alphasCumprod[previous] : finalAlphaCumprod
        let betaProduct = 1 - alphaProduct
        let sqrtAlpha = alphaProduct.squareRoot(), sqrtBeta = betaProduct.squareRoot()

        var original = AlphaSpaceMath.predictedOriginal(configuration.predictionType, modelOutput: modelOutput,
                                                        sample: sample, alphaProduct: alphaProduct)
        let epsilon: Tensor
        switch configuration.predictionType {
        case .epsilon: epsilon = modelOutput
        case .sample: epsilon = Elementwise.map(sample, original) { x, x0 in (x - sqrtAlpha * x0) / sqrtBeta }
        case .vPrediction: epsilon = Elementwise.map(modelOutput, sample) { v, x in sqrtAlpha * v + sqrtBeta * x }
        }
        if configuration.clipSample { original = AlphaSpaceMath.clamped(original, range: configuration.clipSampleRange) }

        let variance = ((1 - alphaProductPrevious) / betaProduct) * (1 - alphaProduct / alphaProductPrevious)
        let standardDeviation = Float(configuration.eta) * variance.squareRoot()
        let directionWeight = (1 - alphaProductPrevious - standardDeviation * standardDeviation).squareRoot()
        let sqrtAlphaPrevious = alphaProductPrevious.squareRoot()
        var next = Elementwise.map(original, epsilon) { x0, e in sqrtAlphaPrevious * x0 + directionWeight * e }
        if configuration.eta > 0 {
            let noise = try drawNoise(random, shape: modelOutput.shape, scheduler: name)
            next = Elementwise.map(next, noise) { x, n in x + standardDeviation * n }
        }
        cursor.advance()
        return SchedulerOutput(nextSample: next, predictedOriginalSample: original)
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
