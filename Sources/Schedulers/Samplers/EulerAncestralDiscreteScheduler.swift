/// Euler ancestral sampling (k-diffusion's `sample_euler_ancestral`): an Euler step down to σ_down
/// followed by fresh noise of scale σ_up, step for step as diffusers'
/// `EulerAncestralDiscreteScheduler` (`schedulers/scheduling_euler_ancestral_discrete.py`). Draws
/// noise at every step, the last included (where it is scaled by 0).
///
/// Supports epsilon and v prediction, every beta schedule and timestep spacing, `steps_offset`.
/// Not supported: sample prediction (diffusers rejects it too), `rescale_betas_zero_snr`.
public struct EulerAncestralDiscreteScheduler: Scheduler {
    /// The configuration this scheduler was made from.
    public let configuration: Configuration
    /// The noise level at each timestep plus the final 0 (Float32, as diffusers).
    public let sigmas: [Float]
    private var cursor: StepCursor

    /// Makes a scheduler.
    /// - Parameters:
    ///   - configuration: The options.
    ///   - steps: The number of inference steps, 1 … `num_train_timesteps`.
    ///   - skippedSteps: Leading steps to skip (image-to-image).
    /// - Throws: ``SchedulerError`` for a bad step count or an unsupported prediction type.
    public init(configuration: Configuration, steps: Int, skippedSteps: Int = 0) throws(SchedulerError) {
        let name = Configuration.className
        try configuration.training.validate(scheduler: name)
        try validatePredictionType(configuration.predictionType, allowed: Configuration.predictionTypes, scheduler: name)
        try validateStepCount(steps, limit: configuration.training.numTrainTimesteps, scheduler: name)
        try validateSkippedSteps(skippedSteps, steps: steps, scheduler: name)
        self.configuration = configuration
        let schedule = DiscreteSigmaSchedule.make(
            NoiseSchedule(configuration.training), spacing: configuration.timestepSpacing, steps: steps,
            numTrainTimesteps: configuration.training.numTrainTimesteps, stepsOffset: configuration.stepsOffset,
            karras: false)
        sigmas = schedule.sigmas
        cursor = try StepCursor(schedule: schedule.timesteps.map(Double.init), begin: skippedSteps, scheduler: name)
    }

    /// The remaining timesteps (Float32 values).
    public var timesteps: [Double] { cursor.remaining }

    /// The largest sigma (√(σ² + 1) with leading spacing).
    public var initNoiseSigma: Float { SigmaSpaceMath.initNoiseSigma(sigmas, spacing: configuration.timestepSpacing) }

    /// `x / √(σ² + 1)` at the current step.
    /// - Throws: ``SchedulerError`` if `timestep` is not the one due.
    public func scaleModelInput(_ sample: Tensor, timestep: Double) throws(SchedulerError) -> Tensor {
        let index = try cursor.current(timestep, scheduler: Configuration.className)
        return SigmaSpaceMath.scaleModelInput(sample, sigma: sigmas[index])
    }

    /// One ancestral step: Euler to σ_down, then noise of scale σ_up drawn from `random`.
    /// - Throws: ``SchedulerError`` for mismatched shapes or an out-of-order timestep.
    public mutating func step(modelOutput: Tensor, timestep: Double, sample: Tensor,
                              random: any RandomSource) throws(SchedulerError) -> SchedulerOutput {
        let name = Configuration.className
        try checkSameShape(modelOutput, sample, scheduler: name)
        let index = try cursor.current(timestep, scheduler: name)
        let sigma = sigmas[index], sigmaNext = sigmas[index + 1]
        let original = SigmaSpaceMath.predictedOriginal(configuration.predictionType, modelOutput: modelOutput,
                                                        sample: sample, sigma: sigma)
        let sigmaUp = (sigmaNext * sigmaNext * (sigma * sigma - sigmaNext * sigmaNext) / (sigma * sigma)).squareRoot()
        let sigmaDown = (sigmaNext * sigmaNext - sigmaUp * sigmaUp).squareRoot()
        let dt = sigmaDown - sigma
        let noise = try drawNoise(random, shape: modelOutput.shape, scheduler: name)
        let next = Elementwise.map(sample, original, noise) { x, x0, n in
            (x + ((x - x0) / sigma) * dt) + n * sigmaUp
        }
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
