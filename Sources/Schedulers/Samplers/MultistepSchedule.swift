import Foundation

/// The integer timesteps and sigmas of the multistep solvers (DPM-Solver, UniPC), as their
/// diffusers `set_timesteps` computes them, and the (α, σ, λ) of a sigma.
struct MultistepSchedule {
    var timesteps: [Int]
    /// One sigma per timestep plus the final one.
    var sigmas: [Float]

    /// How Karras timesteps are made integers: DPM-Solver rounds (truncates for the cosine
    /// schedule), UniPC always rounds.
    enum KarrasRounding { case round, truncate }

    static func make(_ noiseSchedule: NoiseSchedule, spacing: TimestepSpacing, steps: Int, numTrainTimesteps: Int,
                     lastTimestep: Int, stepsOffset: Int, karras: KarrasRounding?, sigmaMin: Double? = nil,
                     sigmaMax: Double? = nil, karrasLastSigmaIsSmallest: Bool = false,
                     finalSigmas: FinalSigmas, scheduler: String) throws(SchedulerError) -> MultistepSchedule {
        var timesteps = TimestepGrids.multistepIntegers(spacing, steps: steps, numTrainTimesteps: numTrainTimesteps,
                                                        lastTimestep: lastTimestep, stepsOffset: stepsOffset)
        let trainingSigmas = noiseSchedule.sigmas
        var sigmas: [Double]
        var last = finalSigmas == .sigmaMin ? Double(trainingSigmas[0]) : 0
        if let karras {
            // In descending order the schedule's extremes are σ at the last and the first training timestep.
            sigmas = SigmaSpacing.karras(sigmaMin: sigmaMin ?? Double(trainingSigmas[0]),
                                         sigmaMax: sigmaMax ?? Double(trainingSigmas[trainingSigmas.count - 1]), count: steps)
            let logSigmas = SigmaSpacing.logSigmas(trainingSigmas)
            timesteps = []
            for sigma in sigmas {
                let t = SigmaSpacing.timestep(forSigma: sigma, logSigmas: logSigmas)
                // A zero training sigma (a zero beta) or a non-finite sigma_min/sigma_max makes the
                // interpolation NaN, which diffusers casts to a garbage integer.
                guard t.isFinite else {
                    throw .invalidOption(scheduler: scheduler, key: "use_karras_sigmas", value: "true",
                                         reason: "Karras sigma \(sigma) maps to no training timestep (a zero beta, or a non-finite sigma_min / sigma_max?)")
                }
                timesteps.append(karras == .round ? Int(NumPyRange.round(t)) : Int(t))
            }
            if karrasLastSigmaIsSmallest && finalSigmas == .sigmaMin { last = sigmas[sigmas.count - 1] }
        } else {
            sigmas = SigmaSpacing.interpolate(at: timesteps.map(Double.init), in: trainingSigmas)
        }
        return MultistepSchedule(timesteps: timesteps, sigmas: (sigmas + [last]).map { Float($0) })
    }
}

/// α, σ and λ = log α − log σ of a noise level, in Float32 as diffusers' `_sigma_to_alpha_sigma_t`.
struct NoiseLevel {
    let alpha: Float
    let sigma: Float
    let lambda: Float

    init(_ sigma: Float) {
        alpha = 1 / (sigma * sigma + 1).squareRoot()
        self.sigma = sigma * alpha
        lambda = Foundation.log(alpha) - Foundation.log(self.sigma)
    }
}
