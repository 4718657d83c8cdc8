import Foundation

/// DPM-Solver++ (Lu et al., "DPM-Solver++: Fast Solver for Guided Sampling of Diffusion Probabilistic
/// Models"), multistep, step for step as diffusers' `DPMSolverMultistepScheduler`
/// (`schedulers/scheduling_dpmsolver_multistep.py`). With order 2 this is the "DPM++ 2M" sampler,
/// with Karras sigmas "DPM++ 2M Karras", with the SDE algorithm "DPM++ 2M SDE" (noise drawn at
/// every step).
///
/// Supports orders 1–3, the dpmsolver++ and sde-dpmsolver++ algorithms, midpoint and Heun
/// second-order updates, every prediction type, beta schedule and timestep spacing, `steps_offset`,
/// `use_karras_sigmas`, `lower_order_final`, `euler_at_final`, `final_sigmas_type`,
/// `lambda_min_clipped`. Not supported: the deprecated dpmsolver / sde-dpmsolver algorithms, learned
/// variances, `thresholding`, Lu lambdas, exponential / beta / flow sigmas, dynamic shifting,
/// `rescale_betas_zero_snr`, custom timesteps.
public struct DPMSolverMultistepScheduler: Scheduler {
    /// The configuration this scheduler was made from.
    public let configuration: Configuration
    /// The noise level at each timestep plus the final one (Float32, as diffusers).
    public let sigmas: [Float]
    private var cursor: StepCursor
    /// The converted (x₀) model outputs of the last `solverOrder` steps, oldest first.
    private var history: [Tensor] = []
    private var lowerOrderCount = 0

    /// Makes a scheduler.
    /// - Parameters:
    ///   - configuration: The options.
    ///   - steps: The number of inference steps, 1 … `num_train_timesteps`.
    ///   - skippedSteps: Leading steps to skip (image-to-image).
    /// - Throws: ``SchedulerError`` for a bad step count, order or a timestep outside the training schedule.
    public init(configuration: Configuration, steps: Int, skippedSteps: Int = 0) throws(SchedulerError) {
        let name = Configuration.className
        try configuration.validate()
        try configuration.training.validate(scheduler: name)
        let trainSteps = configuration.training.numTrainTimesteps
        try validateStepCount(steps, limit: trainSteps, scheduler: name)
        try validateSkippedSteps(skippedSteps, steps: steps, scheduler: name)
        self.configuration = configuration
        let noiseSchedule = NoiseSchedule(configuration.training)
        let schedule = try MultistepSchedule.make(
            noiseSchedule, spacing: configuration.timestepSpacing, steps: steps, numTrainTimesteps: trainSteps,
            lastTimestep: trainSteps - Self.clippedCount(noiseSchedule, below: configuration.lambdaMinClipped),
            stepsOffset: configuration.stepsOffset,
            karras: configuration.useKarrasSigmas
                ? (configuration.training.betaSchedule == .squaredCosCapV2 && configuration.training.trainedBetas == nil
                    ? .truncate : .round)
                : nil,
            finalSigmas: configuration.finalSigmas, scheduler: name)
        for t in schedule.timesteps where !(0..<trainSteps).contains(t) {
            throw .timestepOutOfRange(scheduler: name, timestep: t, numTrainTimesteps: trainSteps)
        }
        sigmas = schedule.sigmas
        cursor = try StepCursor(schedule: schedule.timesteps.map(Double.init), begin: skippedSteps, scheduler: name)
    }

    /// How many training timesteps have λ below `lambdaMin` (diffusers' `searchsorted` on the
    /// ascending λ), which the schedule leaves out at its noisy end.
    private static func clippedCount(_ noiseSchedule: NoiseSchedule, below lambdaMin: Double) -> Int {
        noiseSchedule.alphasCumprod.reduce(0) { count, alphaProduct in
            let lambda = Foundation.log(alphaProduct.squareRoot()) - Foundation.log((1 - alphaProduct).squareRoot())
            return Double(lambda) < lambdaMin ? count + 1 : count
        }
    }

    /// The remaining timesteps (integers).
    public var timesteps: [Double] { cursor.remaining }

    /// 1: DPM-Solver starts from unit-variance noise.
    public var initNoiseSigma: Float { 1 }

    /// The sample unchanged.
    /// - Throws: ``SchedulerError`` if `timestep` is not the one due.
    public func scaleModelInput(_ sample: Tensor, timestep: Double) throws(SchedulerError) -> Tensor {
        _ = try cursor.current(timestep, scheduler: Configuration.className)
        return sample
    }

    /// One multistep update of the order the history and the schedule allow.
    /// - Throws: ``SchedulerError`` for mismatched shapes or an out-of-order timestep.
    public mutating func step(modelOutput: Tensor, timestep: Double, sample: Tensor,
                              random: any RandomSource) throws(SchedulerError) -> SchedulerOutput {
        let name = Configuration.className
        try checkSameShape(modelOutput, sample, scheduler: name)
        let index = try cursor.current(timestep, scheduler: name)
        let count = cursor.schedule.count, order = configuration.solverOrder
        let shortSchedule = configuration.lowerOrderFinal && count < 15
        let lowerOrderFinal = index == count - 1
            && (configuration.eulerAtFinal || shortSchedule || configuration.finalSigmas == .zero)
        let lowerOrderSecond = index == count - 2 && shortSchedule

        let original = convert(modelOutput, sample: sample, sigma: sigmas[index])
        history.append(original)
        if history.count > order { history.removeFirst() }
        let noise = configuration.algorithm == .sdeDPMSolverPlusPlus
            ? try drawNoise(random, shape: modelOutput.shape, scheduler: name) : nil

        let next: Tensor
        if order == 1 || lowerOrderCount < 1 || lowerOrderFinal {
            next = firstOrderUpdate(original, sample: sample, index: index, noise: noise)
        } else if order == 2 || lowerOrderCount < 2 || lowerOrderSecond {
            next = secondOrderUpdate(sample: sample, index: index, noise: noise)
        } else {
            next = thirdOrderUpdate(sample: sample, index: index, noise: noise)
        }
        lowerOrderCount = min(lowerOrderCount + 1, order)
        cursor.advance()
        return SchedulerOutput(nextSample: next, predictedOriginalSample: original)
    }

    /// The data prediction x₀ from the model output at σ.
    private func convert(_ modelOutput: Tensor, sample: Tensor, sigma: Float) -> Tensor {
        let level = NoiseLevel(sigma)
        switch configuration.predictionType {
        case .epsilon:
            return Elementwise.map(sample, modelOutput) { x, e in (x - level.sigma * e) / level.alpha }
        case .vPrediction:
            return Elementwise.map(sample, modelOutput) { x, v in level.alpha * x - level.sigma * v }
        case .sample:
            return modelOutput
        }
    }

    private func firstOrderUpdate(_ original: Tensor, sample: Tensor, index: Int, noise: Tensor?) -> Tensor {
        let target = NoiseLevel(sigmas[index + 1]), source = NoiseLevel(sigmas[index])
        let h = target.lambda - source.lambda
        let alphaT = target.alpha, sigmaT = target.sigma, sigmaS = source.sigma
        if let noise {
            let sampleWeight = sigmaT / sigmaS * Foundation.exp(-h)
            let originalWeight = alphaT * (1 - Foundation.exp(-2 * h))
            let noiseWeight = sigmaT * (1 - Foundation.exp(-2 * h)).squareRoot()
            return Elementwise.map(sample, original, noise) { x, d0, n in
                sampleWeight * x + originalWeight * d0 + noiseWeight * n
            }
        }
        let sampleWeight = sigmaT / sigmaS
        let originalWeight = alphaT * (Foundation.exp(-h) - 1)
        return Elementwise.map(sample, original) { x, d0 in sampleWeight * x - originalWeight * d0 }
    }

    private func secondOrderUpdate(sample: Tensor, index: Int, noise: Tensor?) -> Tensor {
        let target = NoiseLevel(sigmas[index + 1]), s0 = NoiseLevel(sigmas[index]), s1 = NoiseLevel(sigmas[index - 1])
        let m0 = history[history.count - 1], m1 = history[history.count - 2]
        let h = target.lambda - s0.lambda, h0 = s0.lambda - s1.lambda
        let inverseRatio = 1 / (h0 / h)
        let alphaT = target.alpha, sigmaT = target.sigma
        let heun = configuration.solverType == .heun
        if let noise {
            let decay = 1 - Foundation.exp(-2 * h)
            let sampleWeight = sigmaT / s0.sigma * Foundation.exp(-h)
            let d0Weight = alphaT * decay
            let d1Weight = heun ? alphaT * (decay / (-2 * h) + 1) : 0.5 * (alphaT * decay)
            let noiseWeight = sigmaT * decay.squareRoot()
            return Elementwise.map(sample, m0, m1, noise) { x, a, b, n in
                let d1 = inverseRatio * (a - b)
                return sampleWeight * x + d0Weight * a + d1Weight * d1 + noiseWeight * n
            }
        }
        let sampleWeight = sigmaT / s0.sigma
        let d0Weight = alphaT * (Foundation.exp(-h) - 1)
        if heun {
            let d1Weight = alphaT * ((Foundation.exp(-h) - 1) / h + 1)
            return Elementwise.map(sample, m0, m1) { x, a, b in
                sampleWeight * x - d0Weight * a + d1Weight * (inverseRatio * (a - b))
            }
        }
        let d1Weight = 0.5 * d0Weight
        return Elementwise.map(sample, m0, m1) { x, a, b in
            sampleWeight * x - d0Weight * a - d1Weight * (inverseRatio * (a - b))
        }
    }

    private func thirdOrderUpdate(sample: Tensor, index: Int, noise: Tensor?) -> Tensor {
        let target = NoiseLevel(sigmas[index + 1]), s0 = NoiseLevel(sigmas[index])
        let s1 = NoiseLevel(sigmas[index - 1]), s2 = NoiseLevel(sigmas[index - 2])
        let m0 = history[history.count - 1], m1 = history[history.count - 2], m2 = history[history.count - 3]
        let h = target.lambda - s0.lambda, h0 = s0.lambda - s1.lambda, h1 = s1.lambda - s2.lambda
        let r0 = h0 / h, r1 = h1 / h
        let inverseR0 = 1 / r0, inverseR1 = 1 / r1
        let d1Mix = r0 / (r0 + r1), d2Scale = 1 / (r0 + r1)
        let alphaT = target.alpha, sigmaT = target.sigma
        // D1 and D2 from the last three outputs, rounded as the tensors diffusers builds.
        let differences = Elementwise.map(m0, m1, m2) { a, b, c in
            let d10 = inverseR0 * (a - b), d11 = inverseR1 * (b - c)
            return d10 - d11
        }
        let firstDifference = Elementwise.map(m0, m1) { a, b in inverseR0 * (a - b) }
        let d1 = Elementwise.map(firstDifference, differences) { d10, diff in d10 + d1Mix * diff }
        let d2 = Elementwise.map(differences) { d2Scale * $0 }
        if let noise {
            let decay = 1 - Foundation.exp(-2 * h)
            let sampleWeight = sigmaT / s0.sigma * Foundation.exp(-h)
            let d0Weight = alphaT * decay
            let d1Weight = alphaT * (decay / (-2 * h) + 1)
            let d2Weight = alphaT * ((1 - Foundation.exp(-2 * h) - 2 * h) / ((2 * h) * (2 * h)) - 0.5)
            let noiseWeight = sigmaT * decay.squareRoot()
            let partial = Elementwise.map(sample, m0, d1, d2) { x, a, b, c in
                sampleWeight * x + d0Weight * a + d1Weight * b + d2Weight * c
            }
            return Elementwise.map(partial, noise) { p, n in p + noiseWeight * n }
        }
        let sampleWeight = sigmaT / s0.sigma
        let d0Weight = alphaT * (Foundation.exp(-h) - 1)
        let d1Weight = alphaT * ((Foundation.exp(-h) - 1) / h + 1)
        let d2Weight = alphaT * ((Foundation.exp(-h) - 1 + h) / (h * h) - 0.5)
        return Elementwise.map(sample, m0, d1, d2) { x, a, b, c in
            sampleWeight * x - d0Weight * a + d1Weight * b - d2Weight * c
        }
    }

    /// `α·x₀ + σ·ε` at the noise level of `timestep` (the last one if it is not in the schedule,
    /// as diffusers).
    /// - Throws: ``SchedulerError`` for mismatched shapes.
    public func addNoise(to original: Tensor, noise: Tensor, timestep: Double) throws(SchedulerError) -> Tensor {
        try checkNoiseShape(original, noise, scheduler: Configuration.className)
        let index = cursor.noiseIndex(for: timestep) ?? cursor.schedule.count - 1
        let level = NoiseLevel(sigmas[index])
        return Elementwise.map(original, noise) { x, n in level.alpha * x + level.sigma * n }
    }
}
