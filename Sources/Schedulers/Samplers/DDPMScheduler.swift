import Foundation

/// DDPM ancestral sampling (Ho et al., "Denoising Diffusion Probabilistic Models") on a subset of
/// the training timesteps, step for step as diffusers' `DDPMScheduler`
/// (`schedulers/scheduling_ddpm.py`). Draws noise at every step but the one at timestep 0.
///
/// Supports every prediction type, beta schedule and timestep spacing, `steps_offset`,
/// `clip_sample` / `clip_sample_range`, and `variance_type` fixed_small, fixed_small_log and
/// fixed_large. Not supported: learned variances, `thresholding`, `rescale_betas_zero_snr`, the
/// "sigmoid" and "laplace" beta schedules, custom timesteps.
public struct DDPMScheduler: Scheduler {
    /// The configuration this scheduler was made from.
    public let configuration: Configuration
    private let noiseSchedule: NoiseSchedule
    private let trainingTimesteps: [Int]
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
        cursor = try StepCursor(schedule: trainingTimesteps.map(Double.init), begin: skippedSteps, scheduler: name)
    }

    /// The remaining timesteps (integers).
    public var timesteps: [Double] { cursor.remaining }

    /// 1: DDPM starts from unit-variance noise.
    public var initNoiseSigma: Float { 1 }

    /// The sample unchanged.
    /// - Throws: ``SchedulerError`` if `timestep` is not the one due.
    public func scaleModelInput(_ sample: Tensor, timestep: Double) throws(SchedulerError) -> Tensor {
        _ = try cursor.current(timestep, scheduler: Configuration.className)
        return sample
    }

    /// One DDPM posterior step (formulas 6–7 of the paper) to the next timestep of the schedule.
    /// - Throws: ``SchedulerError`` for mismatched shapes or an out-of-order timestep.
    public mutating func step(modelOutput: Tensor, timestep: Double, sample: Tensor,
                              random: any RandomSource) throws(SchedulerError) -> SchedulerOutput {
        let name = Configuration.className
        try checkSameShape(modelOutput, sample, scheduler: name)
        let index = try cursor.current(timestep, scheduler: name)
        let t = trainingTimesteps[index]
        // The previous timestep is the next one in the schedule (−1 after the last).
        let previous = index + 1 < trainingTimesteps.count ? trainingTimesteps[index + 1] : -1
        let alphaProduct = noiseSchedule.alphasCumprod[t]
        let alphaProductPrevious: Float = previous >= 0 ? noiseSchedule.alphasCumprod[previous] : 1
        let betaProduct = 1 - alphaProduct
        let betaProductPrevious = 1 - alphaProductPrevious
        let currentAlpha = alphaProduct / alphaProductPrevious
        let currentBeta = 1 - currentAlpha

        var original = AlphaSpaceMath.predictedOriginal(configuration.predictionType, modelOutput: modelOutput,
                                                        sample: sample, alphaProduct: alphaProduct)
        if configuration.clipSample { original = AlphaSpaceMath.clamped(original, range: configuration.clipSampleRange) }

        let originalWeight = (alphaProductPrevious.squareRoot() * currentBeta) / betaProduct
        let sampleWeight = currentAlpha.squareRoot() * betaProductPrevious / betaProduct
        var next = Elementwise.map(original, sample) { x0, x in originalWeight * x0 + sampleWeight * x }
        if t > 0 {
            let noise = try drawNoise(random, shape: modelOutput.shape, scheduler: name)
            let variance = max(betaProductPrevious / betaProduct * currentBeta, 1e-20)
            let standardDeviation: Float
            switch configuration.varianceType {
            case .fixedSmall: standardDeviation = variance.squareRoot()
            case .fixedSmallLog: standardDeviation = Foundation.exp(0.5 * Foundation.log(variance))
            case .fixedLarge: standardDeviation = currentBeta.squareRoot()
            }
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
