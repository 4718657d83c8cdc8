import Schedulers

// A scheduler written outside the library, through its public protocols only: deterministic DDIM
// with the "quadratic" timestep spacing of the DDIM paper (section D.2), which visits low-noise
// timesteps more densely than the built-in spacings. Documentation/CustomScheduler.md walks
// through it.

/// The recipe the pipeline holds: everything but the step count.
struct QuadraticDDIMConfiguration: SchedulerConfiguration {
    /// The model's training noise schedule (Stable Diffusion's by default).
    var training = TrainingSchedule.stableDiffusion

    var name: String { "QuadraticDDIM" }

    func makeScheduler(steps: Int) throws -> any Scheduler {
        try QuadraticDDIMScheduler(training: training, steps: steps, skippedSteps: 0)
    }

    // Optional: without it, image-to-image throws SchedulerError.imageToImageUnsupported.
    func makeScheduler(steps: Int, strength: Double) throws -> any Scheduler {
        try QuadraticDDIMScheduler(training: training, steps: steps,
                                   skippedSteps: ImageToImage.skippedSteps(steps: steps, strength: strength))
    }
}

/// Errors of this scheduler. (The protocol lets a conformer throw its own errors.)
enum QuadraticDDIMError: Error, CustomStringConvertible {
    case stepCount(Int, limit: Int)
    case wrongTimestep(expected: Double?, got: Double)
    case shapes([Int], [Int])

    var description: String {
        switch self {
        case .stepCount(let steps, let limit): return "QuadraticDDIM: \(steps) steps is outside 1...\(limit)"
        case .wrongTimestep(let expected, let got):
            return "QuadraticDDIM: timestep \(got) given, \(expected.map { "\($0)" } ?? "none") due"
        case .shapes(let a, let b): return "QuadraticDDIM: shapes \(a) and \(b) differ"
        }
    }
}

/// One generation's worth of state: the schedule and how far along it is.
struct QuadraticDDIMScheduler: Scheduler {
    private let alphasCumprod: [Float]
    private let trainingTimesteps: [Int]
    private var position = 0
    let timesteps: [Double]
    var initNoiseSigma: Float { 1 }

    init(training: TrainingSchedule, steps: Int, skippedSteps: Int) throws {
        let limit = training.numTrainTimesteps
        guard steps >= 1, steps <= limit else { throw QuadraticDDIMError.stepCount(steps, limit: limit) }
        alphasCumprod = try training.alphasCumprod()
        // t = (T − 1) · ((steps − i) / steps)², rounded: descending from T − 1.
        let all = (0..<steps).map { i -> Int in
            let fraction = Double(steps - i) / Double(steps)
            return Int((Double(limit - 1) * fraction * fraction).rounded())
        }
        trainingTimesteps = Array(all.dropFirst(skippedSteps))
        timesteps = trainingTimesteps.map(Double.init)
    }

    private func checkDue(_ timestep: Double) throws {
        guard position < timesteps.count, timesteps[position] == timestep else {
            throw QuadraticDDIMError.wrongTimestep(expected: position < timesteps.count ? timesteps[position] : nil, got: timestep)
        }
    }

    func scaleModelInput(_ sample: Tensor, timestep: Double) throws -> Tensor {
        try checkDue(timestep)
        return sample
    }

    mutating func step(modelOutput: Tensor, timestep: Double, sample: Tensor,
                       random: any RandomSource) throws -> SchedulerOutput {
        try checkDue(timestep)
        guard modelOutput.shape == sample.shape else { throw QuadraticDDIMError.shapes(modelOutput.shape, sample.shape) }
        let alpha = alphasCumprod[trainingTimesteps[position]]
        let nextAlpha = position + 1 < trainingTimesteps.count ? alphasCumprod[trainingTimesteps[position + 1]] : 1
        // x₀ = (x − √(1−ᾱ)·ε) / √ᾱ, then x_next = √ᾱ_next·x₀ + √(1−ᾱ_next)·ε (η = 0).
        let original = sample.scaledSum(1 / alpha.squareRoot(), modelOutput, -(1 - alpha).squareRoot() / alpha.squareRoot())
        let next = original.scaledSum(nextAlpha.squareRoot(), modelOutput, (1 - nextAlpha).squareRoot())
        position += 1
        return SchedulerOutput(nextSample: next, predictedOriginalSample: original)
    }

    func addNoise(to original: Tensor, noise: Tensor, timestep: Double) throws -> Tensor {
        guard original.shape == noise.shape else { throw QuadraticDDIMError.shapes(original.shape, noise.shape) }
        guard let index = timesteps.firstIndex(of: timestep) else {
            throw QuadraticDDIMError.wrongTimestep(expected: timesteps.first, got: timestep)
        }
        let alpha = alphasCumprod[trainingTimesteps[index]]
        return original.scaledSum(alpha.squareRoot(), noise, (1 - alpha).squareRoot())
    }
}
