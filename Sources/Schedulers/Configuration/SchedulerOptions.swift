/// What the denoising model predicts (`prediction_type`).
public enum PredictionType: String, Sendable, CaseIterable, Codable {
    /// The added noise ε (SD 1.x, SD 2.x-base, SD-Turbo).
    case epsilon
    /// The velocity v = √ᾱ·ε − √(1−ᾱ)·x₀ (SD 2.x 768).
    case vPrediction = "v_prediction"
    /// The clean sample x₀.
    case sample
}

/// How the training betas are spaced (`beta_schedule`).
public enum BetaSchedule: String, Sendable, CaseIterable, Codable {
    /// Evenly spaced betas.
    case linear
    /// Evenly spaced √beta, squared (Stable Diffusion).
    case scaledLinear = "scaled_linear"
    /// The cosine ᾱ schedule of Nichol & Dhariwal, betas capped at 0.999.
    case squaredCosCapV2 = "squaredcos_cap_v2"
}

/// How inference timesteps are spread over the training schedule (`timestep_spacing`; see table 2 of
/// "Common Diffusion Noise Schedules and Sample Steps are Flawed").
public enum TimestepSpacing: String, Sendable, CaseIterable, Codable {
    /// Multiples of `num_train_timesteps / steps` from 0, plus `steps_offset`.
    case leading
    /// Evenly spaced from 0 to `num_train_timesteps − 1`, both included.
    case linspace
    /// Evenly spaced down from `num_train_timesteps − 1`, ending above 0 (SD-Turbo).
    case trailing
}

/// The sigma after the last step (`final_sigmas_type`).
public enum FinalSigmas: String, Sendable, CaseIterable, Codable {
    /// Denoise completely: σ = 0.
    case zero
    /// Stop at the training schedule's smallest sigma.
    case sigmaMin = "sigma_min"
}

/// The training noise schedule shared by every scheduler: how many timesteps the model was trained
/// on and their betas.
public struct TrainingSchedule: Sendable, Equatable {
    /// `num_train_timesteps`.
    public var numTrainTimesteps: Int
    /// `beta_start`.
    public var betaStart: Double
    /// `beta_end`.
    public var betaEnd: Double
    /// `beta_schedule`.
    public var betaSchedule: BetaSchedule
    /// `trained_betas`: when set, these betas are used instead of the schedule above.
    public var trainedBetas: [Double]?

    /// Creates a training schedule; the defaults are diffusers' (DDPM's linear schedule).
    /// - Parameters:
    ///   - numTrainTimesteps: The number of training timesteps.
    ///   - betaStart: The first beta.
    ///   - betaEnd: The last beta.
    ///   - betaSchedule: How betas are spaced between them.
    ///   - trainedBetas: Explicit betas, one per training timestep.
    public init(numTrainTimesteps: Int = 1000, betaStart: Double = 0.0001, betaEnd: Double = 0.02,
                betaSchedule: BetaSchedule = .linear, trainedBetas: [Double]? = nil) {
        self.numTrainTimesteps = numTrainTimesteps
        self.betaStart = betaStart
        self.betaEnd = betaEnd
        self.betaSchedule = betaSchedule
        self.trainedBetas = trainedBetas
    }

    /// Stable Diffusion's schedule (1.x and 2.x): scaled-linear betas from 0.00085 to 0.012 over
    /// 1000 timesteps, as in `stable-diffusion-v1-5/scheduler/scheduler_config.json`.
    public static let stableDiffusion = TrainingSchedule(betaStart: 0.00085, betaEnd: 0.012, betaSchedule: .scaledLinear)
}
