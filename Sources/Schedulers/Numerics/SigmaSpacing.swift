import Foundation

/// Sigma-space helpers shared by Euler, LMS, Heun, DPM-Solver and UniPC, in the precision diffusers
/// uses (NumPy Double on Float32 inputs).
enum SigmaSpacing {
    /// `np.interp(x, np.arange(len(values)), values)`: linear interpolation between training
    /// timesteps, exact at integers.
    static func interpolate(at positions: [Double], in values: [Float]) -> [Double] {
        let last = values.count - 1
        return positions.map { x in
            if x.isNaN { return x }
            if x <= 0 { return Double(values[0]) }
            if x >= Double(last) { return Double(values[last]) }
            let j = Int(x.rounded(.down))
            if Double(j) == x { return Double(values[j]) }
            let slope = Double(values[j + 1]) - Double(values[j])
            return slope * (x - Double(j)) + Double(values[j])
        }
    }

    /// The Karras et al. (2022) sigmas, ρ = 7: `(max^(1/ρ) + ramp · (min^(1/ρ) − max^(1/ρ)))^ρ`.
    static func karras(sigmaMin: Double, sigmaMax: Double, count: Int) -> [Double] {
        let rho = 7.0
        let minInverse = Foundation.pow(sigmaMin, 1 / rho), maxInverse = Foundation.pow(sigmaMax, 1 / rho)
        return NumPyRange.linspace(0, 1, count: count).map { ramp in
            Foundation.pow(maxInverse + ramp * (minInverse - maxInverse), rho)
        }
    }

    /// log σ of the training sigmas, as NumPy computes it on a Float32 array (a Float32 result).
    static func logSigmas(_ sigmas: [Float]) -> [Double] {
        sigmas.map { Double(Float(Foundation.log(Double($0)))) }
    }

    /// diffusers' `_sigma_to_t`: the fractional training timestep whose sigma is `sigma`, by
    /// linear interpolation in log σ.
    static func timestep(forSigma sigma: Double, logSigmas: [Double]) -> Double {
        let logSigma = Foundation.log(max(sigma, 1e-10))
        // The last index whose log σ is at most log sigma (0 if none), kept below the end.
        var low = 0
        for (index, value) in logSigmas.enumerated() where logSigma - value >= 0 { low = index }
        low = min(low, logSigmas.count - 2)
        let high = low + 1
        let lowValue = logSigmas[low], highValue = logSigmas[high]
        let weight = min(max((lowValue - logSigma) / (lowValue - highValue), 0), 1)
        return (1 - weight) * Double(low) + weight * Double(high)
    }
}
