/// Heun's second-order method in sigma space (Karras et al. 2022, algorithm 1), step for step as
/// diffusers' `HeunDiscreteScheduler` (`schedulers/scheduling_heun_discrete.py`): every timestep but
/// the first appears twice, one model call for the Euler predictor and one for the corrector, and
/// the final step to σ = 0 is a plain Euler step; `2 × steps − 1` model calls in all.
///
/// Supports every prediction type, beta schedule and timestep spacing, `steps_offset`,
/// `use_karras_sigmas`, `clip_sample` / `clip_sample_range`. Not supported: the "exp" beta schedule,
/// exponential / beta sigmas, custom timesteps.
public struct HeunDiscreteScheduler: Scheduler {
    /// The configuration this scheduler was made from.
    public let configuration: Configuration
    /// The noise level at each model call plus the final 0 (Float32, interior sigmas repeated).
    public let sigmas: [Float]
    private var cursor: StepCursor
    // Set between the predictor and the corrector call.
    private var pendingDerivative: Tensor?
    private var pendingDt: Float?
    private var pendingSample: Tensor?

    /// Makes a scheduler.
    /// - Parameters:
    ///   - configuration: The options.
    ///   - steps: The number of inference steps, 1 … `num_train_timesteps`.
    ///   - skippedSteps: Leading steps to skip (image-to-image); two model calls each.
    /// - Throws: ``SchedulerError`` for a bad step count.
    public init(configuration: Configuration, steps: Int, skippedSteps: Int = 0) throws(SchedulerError) {
        let name = Configuration.className
        try configuration.training.validate(scheduler: name)
        try validateStepCount(steps, limit: configuration.training.numTrainTimesteps, scheduler: name)
        try validateSkippedSteps(skippedSteps, steps: steps, scheduler: name)
        self.configuration = configuration
        let schedule = DiscreteSigmaSchedule.make(
            NoiseSchedule(configuration.training), spacing: configuration.timestepSpacing, steps: steps,
            numTrainTimesteps: configuration.training.numTrainTimesteps, stepsOffset: configuration.stepsOffset,
            karras: configuration.useKarrasSigmas)
        let interiorSigmas = schedule.sigmas.dropFirst().dropLast().flatMap { [$0, $0] }
        sigmas = [schedule.sigmas[0]] + interiorSigmas + [schedule.sigmas[schedule.sigmas.count - 1]]
        let repeated = [schedule.timesteps[0]] + schedule.timesteps.dropFirst().flatMap { [$0, $0] }
        cursor = try StepCursor(schedule: repeated.map(Double.init), begin: 2 * skippedSteps, scheduler: name)
    }

    /// The remaining timesteps (Float32 values; all but the first repeated).
    public var timesteps: [Double] { cursor.remaining }

    /// The largest sigma (√(σ² + 1) with leading spacing).
    public var initNoiseSigma: Float { SigmaSpaceMath.initNoiseSigma(sigmas, spacing: configuration.timestepSpacing) }

    /// `x / √(σ² + 1)` at the current model call.
    /// - Throws: ``SchedulerError`` if `timestep` is not the one due.
    public func scaleModelInput(_ sample: Tensor, timestep: Double) throws(SchedulerError) -> Tensor {
        let index = try cursor.current(timestep, scheduler: Configuration.className)
        return SigmaSpaceMath.scaleModelInput(sample, sigma: sigmas[index])
    }

    /// The predictor (an Euler step, remembered) or the corrector (the averaged derivative applied
    /// to the remembered sample).
    /// - Throws: ``SchedulerError`` for mismatched shapes or an out-of-order timestep.
    public mutating func step(modelOutput: Tensor, timestep: Double, sample: Tensor,
                              random: any RandomSource) throws(SchedulerError) -> SchedulerOutput {
        try checkSameShape(modelOutput, sample, scheduler: Configuration.className)
        let index = try cursor.current(timestep, scheduler: Configuration.className)
        let firstOrder = pendingDt == nil
        let sigma = firstOrder ? sigmas[index] : sigmas[index - 1]
        let sigmaNext = firstOrder ? sigmas[index + 1] : sigmas[index]
        // The model saw the sample at σ (predictor) or at σ_next (corrector).
        var original = SigmaSpaceMath.predictedOriginal(configuration.predictionType, modelOutput: modelOutput,
                                                        sample: sample, sigma: firstOrder ? sigma : sigmaNext)
        if configuration.clipSample { original = AlphaSpaceMath.clamped(original, range: configuration.clipSampleRange) }

        let next: Tensor
        if firstOrder {
            let derivative = Elementwise.map(sample, original) { x, x0 in (x - x0) / sigma }
            let dt = sigmaNext - sigma
            next = Elementwise.map(sample, derivative) { x, d in x + d * dt }
            pendingDerivative = derivative
            pendingDt = dt
            pendingSample = sample
        } else {
            let previousDerivative = pendingDerivative ?? Elementwise.map(sample) { _ in 0 }
            let dt = pendingDt ?? 0
            let base = pendingSample ?? sample
            let derivative = Elementwise.map(sample, original, previousDerivative) { x, x0, d0 in
                (d0 + (x - x0) / sigmaNext) / 2
            }
            next = Elementwise.map(base, derivative) { x, d in x + d * dt }
            pendingDerivative = nil
            pendingDt = nil
            pendingSample = nil
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
