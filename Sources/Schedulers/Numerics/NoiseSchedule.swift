import Foundation

/// The training noise schedule in the precision diffusers computes it: betas and ᾱ (the cumulative
/// product of 1 − β) as Float32 tensors, built the way PyTorch builds them on the CPU.
struct NoiseSchedule: Sendable {
    let betas: [Float]
    let alphasCumprod: [Float]

    var count: Int { alphasCumprod.count }

    init(_ schedule: TrainingSchedule) {
        let betas: [Float]
        if let trained = schedule.trainedBetas {
            betas = trained.map { Float($0) }
        } else {
            switch schedule.betaSchedule {
            case .linear:
                betas = Self.torchLinspace(schedule.betaStart, schedule.betaEnd, count: schedule.numTrainTimesteps)
            case .scaledLinear:
                // torch.linspace(beta_start ** 0.5, beta_end ** 0.5, n) ** 2: the roots in Double, the
                // ramp and the square in Float32.
                betas = Self.torchLinspace(Foundation.pow(schedule.betaStart, 0.5), Foundation.pow(schedule.betaEnd, 0.5),
                                           count: schedule.numTrainTimesteps).map { $0 * $0 }
            case .squaredCosCapV2:
                betas = Self.cosineBetas(count: schedule.numTrainTimesteps)
            }
        }
        self.betas = betas
        // torch.cumprod on Float32 accumulates in Double (at::acc_type) and rounds each output.
        var product = 1.0
        alphasCumprod = betas.map { beta in
            product *= Double(1 - beta)
            return Float(product)
        }
    }

    /// `torch.linspace(start, end, count, dtype=torch.float32)` on the CPU, bit for bit: a Float32
    /// step, the first half fused-multiply-added up from `start`, the second half down from `end`.
    static func torchLinspace(_ start: Double, _ end: Double, count: Int) -> [Float] {
        guard count > 1 else { return count == 1 ? [Float(start)] : [] }
        let first = Float(start), last = Float(end)
        let step = (last - first) / Float(count - 1)
        let halfway = count / 2
        return (0..<count).map { index in
            index < halfway
                ? first.addingProduct(step, Float(index))
                : last.addingProduct(-step, Float(count - 1 - index))
        }
    }

    /// diffusers' `betas_for_alpha_bar` with the cosine ᾱ of Nichol & Dhariwal (Double, then Float32).
    static func cosineBetas(count: Int, maxBeta: Double = 0.999) -> [Float] {
        func alphaBar(_ t: Double) -> Double {
            let c = Foundation.cos((t + 0.008) / 1.008 * Double.pi / 2)
            return c * c
        }
        return (0..<count).map { i in
            let t1 = Double(i) / Double(count), t2 = Double(i + 1) / Double(count)
            return Float(min(1 - alphaBar(t2) / alphaBar(t1), maxBeta))
        }
    }

    /// √((1 − ᾱ) / ᾱ) per training timestep, in Float32: the sigmas of the sigma-space samplers.
    var sigmas: [Float] {
        alphasCumprod.map { ((1 - $0) / $0).squareRoot() }
    }

    /// ᾱ at a training timestep, or an error if it is outside the schedule.
    func alphaCumprod(at timestep: Int, scheduler: String) throws(SchedulerError) -> Float {
        guard timestep >= 0, timestep < count else {
            throw .timestepOutOfRange(scheduler: scheduler, timestep: timestep, numTrainTimesteps: count)
        }
        return alphasCumprod[timestep]
    }
}
