/// PNDM (Liu et al., "Pseudo Numerical Methods for Diffusion Models on Manifolds"): Runge–Kutta
/// warm-up steps, then the linear multistep method PLMS; Stable Diffusion 1.x's default scheduler
/// (with `skip_prk_steps`, PLMS alone). Step for step as diffusers' `PNDMScheduler`
/// (`schedulers/scheduling_pndm.py`), including its schedule of `steps + 1` timesteps with the
/// second one repeated (PLMS) or `steps + 9` (with the Runge–Kutta steps).
///
/// Supports epsilon and v prediction, every beta schedule and timestep spacing, `steps_offset`,
/// `set_alpha_to_one`, `skip_prk_steps`. Not supported: sample prediction (diffusers rejects it too).
/// Does not compute a predicted original sample.
public struct PNDMScheduler: Scheduler {
    /// The configuration this scheduler was made from.
    public let configuration: Configuration
    private let noiseSchedule: NoiseSchedule
    private let trainingTimesteps: [Int]
    private let rungeKuttaTimesteps: [Int]
    private let stepRatio: Int
    private let finalAlphaCumprod: Float
    private var cursor: StepCursor
    // Multistep state, as diffusers names it: model-call counter, past outputs, RK accumulators.
    private var counter = 0
    private var pastOutputs: [Tensor] = []
    private var runningOutput: Tensor?
    private var runningSample: Tensor?

    /// Makes a scheduler.
    /// - Parameters:
    ///   - configuration: The options.
    ///   - steps: The number of inference steps, 1 … `num_train_timesteps` (at least 4 with
    ///     Runge–Kutta steps).
    ///   - skippedSteps: Leading timesteps to skip (image-to-image).
    /// - Throws: ``SchedulerError`` for a bad step count or a timestep outside the training schedule.
    public init(configuration: Configuration, steps: Int, skippedSteps: Int = 0) throws(SchedulerError) {
        let name = Configuration.className
        try configuration.training.validate(scheduler: name)
        try validatePredictionType(configuration.predictionType, allowed: Configuration.predictionTypes, scheduler: name)
        let trainSteps = configuration.training.numTrainTimesteps
        try validateStepCount(steps, limit: trainSteps, scheduler: name)
        try validateSkippedSteps(skippedSteps, steps: steps, scheduler: name)
        if !configuration.skipPRKSteps && steps < 4 {
            // diffusers builds the Runge–Kutta timesteps from the last four timesteps.
            guard trainSteps >= 4 else {
                throw .invalidOption(scheduler: name, key: "num_train_timesteps", value: "\(trainSteps)",
                                     reason: "Runge–Kutta steps (skip_prk_steps false) need at least 4")
            }
            throw .invalidStepCount(scheduler: name, steps: steps, allowed: 4...trainSteps)
        }
        self.configuration = configuration
        noiseSchedule = NoiseSchedule(configuration.training)
        stepRatio = trainSteps / steps
        let base = TimestepGrids.ascendingIntegers(configuration.timestepSpacing, steps: steps,
                                                   numTrainTimesteps: trainSteps, stepsOffset: configuration.stepsOffset)
        let linearMultistep: [Int]
        if configuration.skipPRKSteps {
            rungeKuttaTimesteps = []
            // The second-to-last of the ascending list is repeated: PLMS's second step re-runs the first.
            linearMultistep = Array((base.dropLast() + base.suffix(2).prefix(base.count >= 2 ? 1 : 0) + base.suffix(1)).reversed())
        } else {
            let half = trainSteps / steps / 2
            let paired = base.suffix(4).flatMap { [$0, $0 + half] }
            let doubled = paired.dropLast().flatMap { [$0, $0] }
            rungeKuttaTimesteps = Array(doubled.dropFirst().dropLast().reversed())
            linearMultistep = Array(base.dropLast(3).reversed())
        }
        trainingTimesteps = rungeKuttaTimesteps + linearMultistep
        for t in trainingTimesteps { _ = try noiseSchedule.alphaCumprod(at: t, scheduler: name) }
        finalAlphaCumprod = configuration.setAlphaToOne ? 1 : noiseSchedule.alphasCumprod[0]
        cursor = try StepCursor(schedule: trainingTimesteps.map(Double.init), begin: skippedSteps, scheduler: name)
    }

    /// The remaining timesteps (integers; one is repeated).
    public var timesteps: [Double] { cursor.remaining }

    /// 1: PNDM starts from unit-variance noise.
    public var initNoiseSigma: Float { 1 }

    /// The sample unchanged.
    /// - Throws: ``SchedulerError`` if `timestep` is not the one due.
    public func scaleModelInput(_ sample: Tensor, timestep: Double) throws(SchedulerError) -> Tensor {
        _ = try cursor.current(timestep, scheduler: Configuration.className)
        return sample
    }

    /// One Runge–Kutta stage or one linear multistep step.
    /// - Throws: ``SchedulerError`` for mismatched shapes or an out-of-order timestep.
    public mutating func step(modelOutput: Tensor, timestep: Double, sample: Tensor,
                              random: any RandomSource) throws(SchedulerError) -> SchedulerOutput {
        try checkSameShape(modelOutput, sample, scheduler: Configuration.className)
        let index = try cursor.current(timestep, scheduler: Configuration.className)
        let t = trainingTimesteps[index]
        let next = counter < rungeKuttaTimesteps.count && !configuration.skipPRKSteps
            ? try rungeKuttaStep(modelOutput, t, sample)
            : try linearMultistepStep(modelOutput, t, sample)
        counter += 1
        cursor.advance()
        return SchedulerOutput(nextSample: next)
    }

    private mutating func rungeKuttaStep(_ modelOutput: Tensor, _ t: Int, _ sample: Tensor) throws(SchedulerError) -> Tensor {
        let previous = t - (counter % 2 != 0 ? 0 : stepRatio / 2)
        let stageTimestep = rungeKuttaTimesteps[counter / 4 * 4]
        var output = modelOutput
        let sixth = Float(1.0 / 6.0), third = Float(1.0 / 3.0)
        switch counter % 4 {
        case 0:
            runningOutput = accumulate(runningOutput, sixth, modelOutput)
            pastOutputs.append(modelOutput)
            runningSample = sample
        case 1, 2:
            runningOutput = accumulate(runningOutput, third, modelOutput)
        default:
            output = accumulate(runningOutput, sixth, modelOutput)
            runningOutput = nil
        }
        return try previousSample(runningSample ?? sample, stageTimestep, previous, output)
    }

    /// `running + weight · output`, with an absent running sum counting as 0.
    private func accumulate(_ running: Tensor?, _ weight: Float, _ output: Tensor) -> Tensor {
        guard let running else { return Elementwise.map(output) { weight * $0 } }
        return Elementwise.map(running, output) { r, m in r + weight * m }
    }

    private mutating func linearMultistepStep(_ modelOutput: Tensor, _ t: Int, _ sample: Tensor) throws(SchedulerError) -> Tensor {
        var current = t, previous = t - stepRatio
        if counter != 1 {
            pastOutputs = Array(pastOutputs.suffix(3)) + [modelOutput]
        } else {
            // PLMS's second call re-runs the first step with the averaged output (a Heun-like warm-up).
            previous = t
            current = t + stepRatio
        }
        var base = sample
        let output: Tensor
        let e = pastOutputs
        switch e.count {
        case 1 where counter == 0:
            output = modelOutput
            runningSample = sample
        case 1 where counter == 1:
            output = Elementwise.map(modelOutput, e[0]) { m, e1 in (m + e1) / 2 }
            base = runningSample ?? sample
            runningSample = nil
        case 1:
            output = modelOutput
        case 2:
            output = Elementwise.map(e[1], e[0]) { e1, e2 in (3 * e1 - e2) / 2 }
        case 3:
            output = Elementwise.map(e[2], e[1], e[0]) { e1, e2, e3 in (23 * e1 - 16 * e2 + 5 * e3) / 12 }
        default:
            let scale = Float(1.0 / 24.0)
            output = Elementwise.map(e[3], e[2], e[1], e[0]) { e1, e2, e3, e4 in
                scale * (55 * e1 - 59 * e2 + 37 * e3 - 9 * e4)
            }
        }
        return try previousSample(base, current, previous, output)
    }

    /// Formula (9) of the paper: the sample at `previous` from the sample at `t` and a noise estimate.
    private func previousSample(_ sample: Tensor, _ t: Int, _ previous: Int, _ modelOutput: Tensor) throws(SchedulerError) -> Tensor {
        let name = Configuration.className
        let alphaProduct = try noiseSchedule.alphaCumprod(at: t, scheduler: name)
        let alphaProductPrevious = previous >= 0 ? try noiseSchedule.alphaCumprod(at: previous, scheduler: name) : finalAlphaCumprod
        let betaProduct = 1 - alphaProduct
        let betaProductPrevious = 1 - alphaProductPrevious
        var epsilon = modelOutput
        if configuration.predictionType == .vPrediction {
            let sqrtAlpha = alphaProduct.squareRoot(), sqrtBeta = betaProduct.squareRoot()
            epsilon = Elementwise.map(modelOutput, sample) { v, x in sqrtAlpha * v + sqrtBeta * x }
        }
        let sampleWeight = (alphaProductPrevious / alphaProduct).squareRoot()
        let denominator = alphaProduct * betaProductPrevious.squareRoot()
            + (alphaProduct * betaProduct * alphaProductPrevious).squareRoot()
        let difference = alphaProductPrevious - alphaProduct
        return Elementwise.map(sample, epsilon) { x, e in sampleWeight * x - difference * e / denominator }
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
