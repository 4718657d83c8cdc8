/// Euler's method on the probability-flow ODE in sigma space (Karras et al., "Elucidating the
/// Design Space of Diffusion-Based Generative Models", algorithm 2 without churn), step for step as
/// diffusers' `EulerDiscreteScheduler` (`schedulers/scheduling_euler_discrete.py`). SD-Turbo's
/// scheduler (with trailing spacing).
///
/// Supports every prediction type, beta schedule and timestep spacing, `steps_offset`,
/// `use_karras_sigmas` with `sigma_min` / `sigma_max`, `final_sigmas_type`. Not supported:
/// `s_churn` noise, exponential / beta sigmas, "log_linear" interpolation, continuous timesteps,
/// `rescale_betas_zero_snr`, custom timesteps or sigmas.
public struct EulerDiscreteScheduler: Scheduler {
    /// The configuration this scheduler was made from.
    public let configuration: Configuration
    /// The noise level at each timestep plus the final one (Float32, as diffusers).
    public let sigmas: [Float]
    private let noiseSchedule: NoiseSchedule
    private var cursor: StepCursor

    /// Makes a scheduler.
    /// - Parameters:
    ///   - configuration: The options.
    ///   - steps: The number of inference steps, 1 … `num_train_timesteps`.
    ///   - skippedSteps: Leading steps to skip (image-to-image).
    /// - Throws: ``SchedulerError`` for a bad step count.
    public init(configuration: Configuration, steps: Int, skippedSteps: Int = 0) throws(SchedulerError) {
        let name = Configuration.className
        try configuration.training.validate(scheduler: name)
        try validateStepCount(steps, limit: configuration.training.numTrainTimesteps, scheduler: name)
        try validateSkippedSteps(skippedSteps, steps: steps, scheduler: name)
        self.configuration = configuration
        noiseSchedule = NoiseSchedule(configuration.training)
        let schedule = DiscreteSigmaSchedule.make(
            noiseSchedule, spacing: configuration.timestepSpacing, steps: steps,
            numTrainTimesteps: configuration.training.numTrainTimesteps, stepsOffset: configuration.stepsOffset,
            karras: configuration.useKarrasSigmas, sigmaMin: configuration.sigmaMin, sigmaMax: configuration.sigmaMax,
            finalSigmas: configuration.finalSigmas)
        sigmas = schedule.sigmas
        cursor = try StepCursor(schedule: schedule.timesteps.map(Double.init), begin: skippedSteps, scheduler: name)
    }

    /// The remaining timesteps (Float32 values, fractional with linspace spacing or Karras sigmas).
    public var timesteps: [Double] { cursor.remaining }

    /// The largest sigma (√(σ² + 1) with leading spacing).
    public var initNoiseSigma: Float { SigmaSpaceMath.initNoiseSigma(sigmas, spacing: configuration.timestepSpacing) }

    /// `x / √(σ² + 1)` at the current step.
    /// - Throws: ``SchedulerError`` if `timestep` is not the one due.
    public func scaleModelInput(_ sample: Tensor, timestep: Double) throws(SchedulerError) -> Tensor {
        let index = try cursor.current(timestep, scheduler: Configuration.className)
        return SigmaSpaceMath.scaleModelInput(sample, sigma: sigmas[index])
    }

    /// One Euler step from σᵢ to σᵢ₊₁.
    /// - Throws: ``SchedulerError`` for mismatched shapes or an out-of-order timestep.
    public mutating func step(modelOutput: Tensor, timestep: Double, sample: Tensor,
                              random: any RandomSource) throws(SchedulerError) -> SchedulerOutput {
        try checkSameShape(modelOutput, sample, scheduler: Configuration.className)
        let index = try cursor.current(timestep, scheduler: Configuration.className)
        let sigma = sigmas[index]
        let original = SigmaSpaceMath.predictedOriginal(configuration.predictionType, modelOutput: modelOutput,
                                                        sample: sample, sigma: sigma)
        let dt = sigmas[index + 1] - sigma
        let next = Elementwise.map(sample, original) { x, x0 in x + ((x - x0) / sigma) * dt }
        cursor.advance()
        return SchedulerOutput(nextSample: next, predictedOriginalSample: original)
    }

    /// `x₀ + ε·σ` at the sigma of `timestep`.
    /// - Throws: ``SchedulerError`` for mismatched shapes or a timestep not in the schedule.
    public func addNoise(to original: Tensor, noise: Tensor, timestep: Double) throws(SchedulerError) -> Tensor {
        try checkNoiseShape(original, noise, scheduler: Configuration.className)
        guard let index = cursor.noiseIndex(for: timestep) else {
            throw .timestepNotInSchedule(scheduler: Configuration.className, timestep: timestep)
        }
        return SigmaSpaceMath.addNoise(original, noise, sigma: sigmas[index])
    }
}
