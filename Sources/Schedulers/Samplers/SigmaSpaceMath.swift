/// The timesteps and sigmas of the discrete sigma-space samplers (Euler, Euler ancestral, LMS,
/// Heun), as their diffusers `set_timesteps` computes them.
struct DiscreteSigmaSchedule {
    /// One Float32 timestep per inference step, descending.
    var timesteps: [Float]
    /// One sigma per timestep plus the final sigma (0 or σ_min).
    var sigmas: [Float]

    /// - Parameters:
    ///   - karras: Karras spacing, with optional σ bounds (Euler reads `sigma_min` / `sigma_max`;
    ///     LMS and Heun always use the schedule's).
    static func make(_ noiseSchedule: NoiseSchedule, spacing: TimestepSpacing, steps: Int, numTrainTimesteps: Int,
                     stepsOffset: Int, karras: Bool, sigmaMin: Double? = nil, sigmaMax: Double? = nil,
                     finalSigmas: FinalSigmas = .zero) -> DiscreteSigmaSchedule {
        var timesteps = TimestepGrids.descendingFloats(spacing, steps: steps, numTrainTimesteps: numTrainTimesteps,
                                                       stepsOffset: stepsOffset)
        let trainingSigmas = noiseSchedule.sigmas
        var sigmas = SigmaSpacing.interpolate(at: timesteps.map(Double.init), in: trainingSigmas)
        if karras {
            sigmas = SigmaSpacing.karras(sigmaMin: sigmaMin ?? sigmas[sigmas.count - 1], sigmaMax: sigmaMax ?? sigmas[0],
                                         count: steps)
            let logSigmas = SigmaSpacing.logSigmas(trainingSigmas)
            timesteps = sigmas.map { Float(SigmaSpacing.timestep(forSigma: $0, logSigmas: logSigmas)) }
        }
        let last = finalSigmas == .sigmaMin ? Double(trainingSigmas[0]) : 0
        return DiscreteSigmaSchedule(timesteps: timesteps, sigmas: (sigmas + [last]).map { Float($0) })
    }
}

/// Formulas shared by the sigma-space samplers, in the operation order of diffusers' PyTorch code.
enum SigmaSpaceMath {
    /// The initial noise scale: the largest sigma, or `√(σ_max² + 1)` with "leading" spacing.
    static func initNoiseSigma(_ sigmas: [Float], spacing: TimestepSpacing) -> Float {
        let largest = sigmas.max() ?? 0
        return spacing == .leading ? (largest * largest + 1).squareRoot() : largest
    }

    /// `x / √(σ² + 1)`: the model sees unit-variance input.
    static func scaleModelInput(_ sample: Tensor, sigma: Float) -> Tensor {
        let scale = (sigma * sigma + 1).squareRoot()
        return Elementwise.map(sample) { $0 / scale }
    }

    /// x₀ from the model output at σ: `x − σ·ε`, `v·(−σ/√(σ²+1)) + x/(σ²+1)`, or the output itself.
    static func predictedOriginal(_ prediction: PredictionType, modelOutput: Tensor, sample: Tensor, sigma: Float) -> Tensor {
        switch prediction {
        case .epsilon:
            return Elementwise.map(sample, modelOutput) { x, e in x - sigma * e }
        case .vPrediction:
            let outputWeight = -sigma / (sigma * sigma + 1).squareRoot()
            let sampleDivisor = sigma * sigma + 1
            return Elementwise.map(modelOutput, sample) { v, x in v * outputWeight + x / sampleDivisor }
        case .sample:
            return modelOutput
        }
    }

    /// `x + ε·σ`: the forward process in sigma space.
    static func addNoise(_ original: Tensor, _ noise: Tensor, sigma: Float) -> Tensor {
        Elementwise.map(original, noise) { x, n in x + n * sigma }
    }
}
