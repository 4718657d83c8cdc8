import Foundation

/// UniPC (Zhao et al., "UniPC: A Unified Predictor-Corrector Framework for Fast Sampling of
/// Diffusion Models"), multistep, step for step as diffusers' `UniPCMultistepScheduler`
/// (`schedulers/scheduling_unipc_multistep.py`): each step corrects the sample with the new model
/// output (UniC), then predicts the next one (UniP).
///
/// Supports orders 1–3 (2 by default), bh1 and bh2, data or noise prediction form (`predict_x0`),
/// every prediction type, beta schedule and timestep spacing, `steps_offset`, `lower_order_final`,
/// `disable_corrector`, `use_karras_sigmas` with `sigma_min` / `sigma_max`, `final_sigmas_type`.
/// Not supported: `solver_p`, `thresholding`, exponential / beta / flow sigmas, dynamic shifting,
/// `rescale_betas_zero_snr`.
public struct UniPCMultistepScheduler: Scheduler {
    /// The configuration this scheduler was made from.
    public let configuration: Configuration
    /// The noise level at each timestep plus the final one (Float32, as diffusers).
    public let sigmas: [Float]
    private var cursor: StepCursor
    /// The converted model outputs of the last `solverOrder` steps, oldest first.
    private var history: [Tensor] = []
    private var lowerOrderCount = 0
    private var lastSample: Tensor?
    private var lastOrder = 1

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
        let schedule = try MultistepSchedule.make(
            NoiseSchedule(configuration.training), spacing: configuration.timestepSpacing, steps: steps,
            numTrainTimesteps: trainSteps, lastTimestep: trainSteps, stepsOffset: configuration.stepsOffset,
            karras: configuration.useKarrasSigmas ? .round : nil, sigmaMin: configuration.sigmaMin,
            sigmaMax: configuration.sigmaMax, karrasLastSigmaIsSmallest: true, finalSigmas: configuration.finalSigmas, scheduler: name)
        for t in schedule.timesteps where !(0..<trainSteps).contains(t) {
            throw .timestepOutOfRange(scheduler: name, timestep: t, numTrainTimesteps: trainSteps)
        }
        sigmas = schedule.sigmas
        cursor = try StepCursor(schedule: schedule.timesteps.map(Double.init), begin: skippedSteps, scheduler: name)
    }

    /// The remaining timesteps (integers).
    public var timesteps: [Double] { cursor.remaining }

    /// 1: UniPC starts from unit-variance noise.
    public var initNoiseSigma: Float { 1 }

    /// The sample unchanged.
    /// - Throws: ``SchedulerError`` if `timestep` is not the one due.
    public func scaleModelInput(_ sample: Tensor, timestep: Double) throws(SchedulerError) -> Tensor {
        _ = try cursor.current(timestep, scheduler: Configuration.className)
        return sample
    }

    /// Corrects the current sample with the new model output (from the second step on), then
    /// predicts the next sample.
    /// - Throws: ``SchedulerError`` for mismatched shapes or an out-of-order timestep.
    public mutating func step(modelOutput: Tensor, timestep: Double, sample: Tensor,
                              random: any RandomSource) throws(SchedulerError) -> SchedulerOutput {
        try checkSameShape(modelOutput, sample, scheduler: Configuration.className)
        let index = try cursor.current(timestep, scheduler: Configuration.className)
        let converted = convert(modelOutput, sample: sample, sigma: sigmas[index])
        var corrected = sample
        if index > 0, !configuration.disableCorrector.contains(index - 1), let lastSample {
            corrected = corrector(converted, lastSample: lastSample, sample: sample, index: index, order: lastOrder)
        }
        history.append(converted)
        if history.count > configuration.solverOrder { history.removeFirst() }
        let order = configuration.lowerOrderFinal
            ? min(configuration.solverOrder, cursor.schedule.count - index) : configuration.solverOrder
        lastOrder = min(order, lowerOrderCount + 1)
        lastSample = corrected
        let next = predictor(corrected, index: index, order: lastOrder)
        lowerOrderCount = min(lowerOrderCount + 1, configuration.solverOrder)
        cursor.advance()
        return SchedulerOutput(nextSample: next, predictedOriginalSample: configuration.predictX0 ? converted : nil)
    }

    /// The model output as a data prediction x₀ (`predict_x0`) or as a noise prediction ε.
    private func convert(_ modelOutput: Tensor, sample: Tensor, sigma: Float) -> Tensor {
        let level = NoiseLevel(sigma)
        switch (configuration.predictX0, configuration.predictionType) {
        case (true, .epsilon):
            return Elementwise.map(sample, modelOutput) { x, e in (x - level.sigma * e) / level.alpha }
        case (true, .vPrediction):
            return Elementwise.map(sample, modelOutput) { x, v in level.alpha * x - level.sigma * v }
        case (false, .sample):
            return Elementwise.map(sample, modelOutput) { x, x0 in (x - level.alpha * x0) / level.sigma }
        case (false, .vPrediction):
            return Elementwise.map(modelOutput, sample) { v, x in level.alpha * v + level.sigma * x }
        case (true, .sample), (false, .epsilon):
            return modelOutput
        }
    }

    /// The coefficients shared by UniP and UniC: h·φ₁(h), B(h), the powers of the step ratios and
    /// the right-hand side of the order conditions.
    private struct Coefficients {
        var hPhi1: Float
        var bH: Float
        var matrix: [[Float]]
        var rightHandSide: [Float]
    }

    private func coefficients(h: Float, ratios: [Float], order: Int) -> Coefficients {
        let hh = configuration.predictX0 ? -h : h
        let hPhi1 = Foundation.expm1(hh)
        var hPhiK = hPhi1 / hh - 1
        var factorial = 1
        let bH = configuration.solverType == .bh1 ? hh : Foundation.expm1(hh)
        let rks = ratios + [1]
        var matrix: [[Float]] = [], rightHandSide: [Float] = []
        for i in 1...order {
            matrix.append(rks.map { i == 1 ? 1 : (i == 2 ? $0 : $0 * $0) })
            rightHandSide.append(hPhiK * Float(factorial) / bH)
            factorial *= i + 1
            hPhiK = hPhiK / hh - Float(1.0 / Double(factorial))
        }
        return Coefficients(hPhi1: hPhi1, bH: bH, matrix: matrix, rightHandSide: rightHandSide)
    }

    /// The base update `σₜ/σₛ·x − αₜ·hφ₁·m₀` (data form) or `αₜ/αₛ·x − σₜ·hφ₁·m₀` (noise form), and
    /// the weight of the correction sum.
    private func baseWeights(target: NoiseLevel, source: NoiseLevel, c: Coefficients) -> (sample: Float, output: Float, correction: Float) {
        configuration.predictX0
            ? (target.sigma / source.sigma, target.alpha * c.hPhi1, target.alpha * c.bH)
            : (target.alpha / source.alpha, target.sigma * c.hPhi1, target.sigma * c.bH)
    }

    /// UniP: the next sample from the current one and the stored outputs.
    private func predictor(_ sample: Tensor, index: Int, order: Int) -> Tensor {
        let target = NoiseLevel(sigmas[index + 1]), source = NoiseLevel(sigmas[index])
        let h = target.lambda - source.lambda
        let m0 = history[history.count - 1]
        var ratios: [Float] = [], differences: [Tensor] = []
        for k in 1..<max(order, 1) {
            let rk = (NoiseLevel(sigmas[index - k]).lambda - source.lambda) / h
            ratios.append(rk)
            differences.append(Elementwise.map(history[history.count - 1 - k], m0) { mi, m in (mi - m) / rk })
        }
        let c = coefficients(h: h, ratios: ratios, order: order)
        let w = baseWeights(target: target, source: source, c: c)
        let base = Elementwise.map(sample, m0) { x, m in w.sample * x - w.output * m }
        guard !differences.isEmpty else { return base }
        let rhos: [Float] = order == 2
            ? [0.5]
            : LinearSolve.solve(Array(c.matrix.prefix(order - 1).map { Array($0.prefix(order - 1)) }),
                                Array(c.rightHandSide.prefix(order - 1)))
        let residual = Elementwise.weightedSum(rhos, differences)
        return Elementwise.map(base, residual) { b, r in b - w.correction * r }
    }

    /// UniC: the current sample corrected with its own model output.
    private func corrector(_ output: Tensor, lastSample: Tensor, sample: Tensor, index: Int, order: Int) -> Tensor {
        let target = NoiseLevel(sigmas[index]), source = NoiseLevel(sigmas[index - 1])
        let h = target.lambda - source.lambda
        let m0 = history[history.count - 1]
        var ratios: [Float] = [], differences: [Tensor] = []
        for k in 1..<max(order, 1) {
            let rk = (NoiseLevel(sigmas[index - (k + 1)]).lambda - source.lambda) / h
            ratios.append(rk)
            differences.append(Elementwise.map(history[history.count - 1 - k], m0) { mi, m in (mi - m) / rk })
        }
        let c = coefficients(h: h, ratios: ratios, order: order)
        let w = baseWeights(target: target, source: source, c: c)
        let rhos: [Float] = order == 1 ? [0.5] : LinearSolve.solve(c.matrix, c.rightHandSide)
        let lastRho = rhos[rhos.count - 1]
        let base = Elementwise.map(lastSample, m0) { x, m in w.sample * x - w.output * m }
        if differences.isEmpty {
            return Elementwise.map(base, output, m0) { b, mt, m in b - w.correction * (lastRho * (mt - m)) }
        }
        let residual = Elementwise.weightedSum(Array(rhos.dropLast()), differences)
        return Elementwise.map(base, residual, output, m0) { b, r, mt, m in b - w.correction * (r + lastRho * (mt - m)) }
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
