/// Formulas shared by the schedulers that work with ᾱ directly (DDIM, DDPM, PNDM, LCM), written in
/// the operation order of diffusers' PyTorch code.
enum AlphaSpaceMath {
    /// x₀ from the model output at ᾱ: `(x − √(1−ᾱ)·ε) / √ᾱ`, `√ᾱ·x − √(1−ᾱ)·v`, or the output itself.
    static func predictedOriginal(_ prediction: PredictionType, modelOutput: Tensor, sample: Tensor, alphaProduct: Float) -> Tensor {
        let sqrtAlpha = alphaProduct.squareRoot(), sqrtBeta = (1 - alphaProduct).squareRoot()
        switch prediction {
        case .epsilon:
            return Elementwise.map(sample, modelOutput) { x, e in (x - sqrtBeta * e) / sqrtAlpha }
        case .vPrediction:
            return Elementwise.map(sample, modelOutput) { x, v in sqrtAlpha * x - sqrtBeta * v }
        case .sample:
            return modelOutput
        }
    }

    /// `x.clamp(-range, range)`.
    static func clamped(_ x: Tensor, range: Double) -> Tensor {
        let bound = Float(range)
        return Elementwise.map(x) { min(max($0, -bound), bound) }
    }

    /// The forward process at ᾱ: `√ᾱ·x₀ + √(1−ᾱ)·ε`.
    static func addNoise(_ original: Tensor, _ noise: Tensor, alphaProduct: Float) -> Tensor {
        let sqrtAlpha = alphaProduct.squareRoot(), sqrtBeta = (1 - alphaProduct).squareRoot()
        return Elementwise.map(original, noise) { x, n in sqrtAlpha * x + sqrtBeta * n }
    }

    /// The integer training timestep a `Double` timestep stands for.
    static func trainingTimestep(_ timestep: Double, scheduler: String) throws(SchedulerError) -> Int {
        guard timestep.isFinite, timestep == timestep.rounded(), abs(timestep) < 1e9 else {
            throw .timestepNotInSchedule(scheduler: scheduler, timestep: timestep)
        }
        return Int(timestep)
    }
}

/// Draws standard normal noise of `shape`, checking that the source honoured the shape.
func drawNoise(_ random: any RandomSource, shape: [Int], scheduler: String) throws(SchedulerError) -> Tensor {
    let noise = random.normal(shape: shape)
    guard noise.shape == shape else {
        throw .shapeMismatch(operation: "\(scheduler): RandomSource.normal(shape:)", expected: shape, actual: noise.shape)
    }
    return noise
}

/// Throws unless `noise` has the shape of `original` (for `addNoise`).
func checkNoiseShape(_ original: Tensor, _ noise: Tensor, scheduler: String) throws(SchedulerError) {
    guard original.shape == noise.shape else {
        throw .shapeMismatch(operation: "\(scheduler).addNoise", expected: original.shape, actual: noise.shape)
    }
}
