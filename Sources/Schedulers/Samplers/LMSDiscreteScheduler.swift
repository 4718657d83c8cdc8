/// The linear multistep method of order 4 in sigma space (k-diffusion's `sample_lms`), step for step
/// as diffusers' `LMSDiscreteScheduler` (`schedulers/scheduling_lms_discrete.py`).
///
/// The coefficients integrate the Lagrange basis over [σᵢ, σᵢ₊₁] exactly (diffusers uses SciPy's
/// adaptive quadrature, exact for these cubic polynomials up to rounding). As in diffusers the order
/// is `min(step index + 1, 4)` counted from the start of the full schedule, so an image-to-image run
/// weighs its first derivative with a higher-order coefficient.
///
/// Supports every prediction type, beta schedule and timestep spacing, `steps_offset`,
/// `use_karras_sigmas`. Not supported: exponential / beta sigmas.
public struct LMSDiscreteScheduler: Scheduler {
    /// The configuration this scheduler was made from.
    public let configuration: Configuration
    /// The noise level at each timestep plus the final 0 (Float32, as diffusers).
    public let sigmas: [Float]
    private var cursor: StepCursor
    private var derivatives: [Tensor] = []
    private static let maximumOrder = 4

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
        let schedule = DiscreteSigmaSchedule.make(
            NoiseSchedule(configuration.training), spacing: configuration.timestepSpacing, steps: steps,
            numTrainTimesteps: configuration.training.numTrainTimesteps, stepsOffset: configuration.stepsOffset,
            karras: configuration.useKarrasSigmas)
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

    /// One linear multistep step, from the last four derivatives.
    /// - Throws: ``SchedulerError`` for mismatched shapes or an out-of-order timestep.
    public mutating func step(modelOutput: Tensor, timestep: Double, sample: Tensor,
                              random: any RandomSource) throws(SchedulerError) -> SchedulerOutput {
        try checkSameShape(modelOutput, sample, scheduler: Configuration.className)
        let index = try cursor.current(timestep, scheduler: Configuration.className)
        let sigma = sigmas[index]
        let original = SigmaSpaceMath.predictedOriginal(configuration.predictionType, modelOutput: modelOutput,
                                                        sample: sample, sigma: sigma)
        derivatives.append(Elementwise.map(sample, original) { x, x0 in (x - x0) / sigma })
        if derivatives.count > Self.maximumOrder { derivatives.removeFirst() }
        let order = min(index + 1, Self.maximumOrder)
        let used = min(order, derivatives.count)
        let coefficients = (0..<used).map { Float(coefficient(order: order, index: index, term: $0)) }
        let update = Elementwise.weightedSum(coefficients, Array(derivatives.reversed().prefix(used)))
        let next = Elementwise.map(sample, update) { x, u in x + u }
        cursor.advance()
        return SchedulerOutput(nextSample: next, predictedOriginalSample: original)
    }

    /// ∫ from σᵢ to σᵢ₊₁ of the Lagrange basis polynomial of `term` over σᵢ, σᵢ₋₁, …, by 4-point
    /// Gauss–Legendre quadrature (exact for these polynomials of degree ≤ 3).
    private func coefficient(order: Int, index: Int, term: Int) -> Double {
        func basis(_ tau: Double) -> Double {
            var product = 1.0
            for k in 0..<order where k != term {
                product *= (tau - Double(sigmas[index - k])) / (Double(sigmas[index - term]) - Double(sigmas[index - k]))
            }
            return product
        }
        let lower = Double(sigmas[index]), upper = Double(sigmas[index + 1])
        let center = (upper + lower) / 2, halfWidth = (upper - lower) / 2
        let nodes = [(-0.8611363115940526, 0.3478548451374538), (-0.3399810435848563, 0.6521451548625461),
                     (0.3399810435848563, 0.6521451548625461), (0.8611363115940526, 0.3478548451374538)]
        return halfWidth * nodes.reduce(0) { $0 + $1.1 * basis(center + halfWidth * $1.0) }
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
