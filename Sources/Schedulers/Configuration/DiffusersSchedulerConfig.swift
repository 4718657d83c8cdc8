/// A diffusers `scheduler/scheduler_config.json`, every key optional.
///
/// Decoding keeps what the file says and nothing else: when a scheduler is built from it (see
/// ``SchedulerName/configuration(from:)``), keys that scheduler does not know are ignored and absent
/// keys take *that scheduler class's* default, which is diffusers' `from_config` rule (defaults
/// differ per class; `timestep_spacing`, for example, is "leading" for DDIM and "linspace" for Euler).
/// Keys listed in `_use_default_values` count as absent, as in diffusers. To add options on top of a
/// model's file (Karras sigmas, trailing spacing), set the fields or use ``overriding(with:)``.
///
/// Values are kept as written (strings for enumerations); a scheduler validates the ones it reads
/// and throws a ``SchedulerError`` naming the key and the allowed values.
public struct DiffusersSchedulerConfig: Codable, Sendable, Equatable {
    /// `_class_name`: the diffusers scheduler class the model was published with.
    public var className: String?
    /// `_diffusers_version`: the diffusers version that wrote the file (informational).
    public var diffusersVersion: String?
    /// `num_train_timesteps`: the length of the training noise schedule.
    public var numTrainTimesteps: Int?
    /// `beta_start`: the first beta of the training schedule.
    public var betaStart: Double?
    /// `beta_end`: the last beta of the training schedule.
    public var betaEnd: Double?
    /// `beta_schedule`: "linear", "scaled_linear" or "squaredcos_cap_v2".
    public var betaSchedule: String?
    /// `trained_betas`: explicit betas that replace the schedule above.
    public var trainedBetas: [Double]?
    /// `prediction_type`: what the model predicts: "epsilon", "v_prediction" or "sample".
    public var predictionType: String?
    /// `timestep_spacing`: "leading", "linspace" or "trailing".
    public var timestepSpacing: String?
    /// `steps_offset`: added to "leading" timesteps.
    public var stepsOffset: Int?
    /// `set_alpha_to_one`: use ᾱ = 1 (rather than ᾱ₀) past the last timestep (DDIM, PNDM, LCM).
    public var setAlphaToOne: Bool?
    /// `clip_sample`: clamp the predicted original sample (DDIM, DDPM, Heun, LCM).
    public var clipSample: Bool?
    /// `clip_sample_range`: the clamp bound for `clip_sample`.
    public var clipSampleRange: Double?
    /// `thresholding`: dynamic thresholding (not supported; must be false).
    public var thresholding: Bool?
    /// `rescale_betas_zero_snr`: zero terminal SNR rescaling (not supported; must be false).
    public var rescaleBetasZeroSNR: Bool?
    /// `skip_prk_steps`: PNDM runs PLMS only (true) or starts with Runge–Kutta steps (false).
    public var skipPRKSteps: Bool?
    /// `interpolation_type`: Euler's sigma interpolation; only "linear" is supported.
    public var interpolationType: String?
    /// `timestep_type`: Euler's timestep type; only "discrete" is supported.
    public var timestepType: String?
    /// `use_karras_sigmas`: space sigmas as Karras et al. (Euler, LMS, Heun, DPM-Solver, UniPC).
    public var useKarrasSigmas: Bool?
    /// `use_exponential_sigmas`: not supported; must be false.
    public var useExponentialSigmas: Bool?
    /// `use_beta_sigmas`: not supported; must be false.
    public var useBetaSigmas: Bool?
    /// `use_lu_lambdas`: not supported; must be false.
    public var useLuLambdas: Bool?
    /// `use_flow_sigmas`: not supported; must be false.
    public var useFlowSigmas: Bool?
    /// `use_dynamic_shifting`: not supported; must be false.
    public var useDynamicShifting: Bool?
    /// `sigma_min`: the smallest Karras sigma (Euler, UniPC); default: the schedule's.
    public var sigmaMin: Double?
    /// `sigma_max`: the largest Karras sigma (Euler, UniPC); default: the schedule's.
    public var sigmaMax: Double?
    /// `final_sigmas_type`: the sigma after the last step, "zero" or "sigma_min".
    public var finalSigmasType: String?
    /// `solver_order`: the multistep order of DPM-Solver / UniPC (1, 2 or 3).
    public var solverOrder: Int?
    /// `algorithm_type`: DPM-Solver's "dpmsolver++" or "sde-dpmsolver++".
    public var algorithmType: String?
    /// `solver_type`: DPM-Solver's "midpoint" / "heun", UniPC's "bh1" / "bh2".
    public var solverType: String?
    /// `lower_order_final`: use lower orders for the last steps of short schedules.
    public var lowerOrderFinal: Bool?
    /// `euler_at_final`: DPM-Solver takes a first-order final step.
    public var eulerAtFinal: Bool?
    /// `lambda_min_clipped`: DPM-Solver's clipping of the smallest log-SNR.
    public var lambdaMinClipped: Double?
    /// `variance_type`: DDPM's "fixed_small", "fixed_small_log" or "fixed_large"; DPM-Solver's must be absent.
    public var varianceType: String?
    /// `predict_x0`: UniPC works on predicted samples (true) or on noise (false).
    public var predictX0: Bool?
    /// `disable_corrector`: UniPC step indices whose corrector is skipped.
    public var disableCorrector: [Int]?
    /// `original_inference_steps`: LCM's distillation schedule length.
    public var originalInferenceSteps: Int?
    /// `timestep_scaling`: LCM's boundary-condition timestep scale.
    public var timestepScaling: Double?

    /// Creates an empty configuration (every scheduler's own defaults).
    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case className = "_class_name"
        case diffusersVersion = "_diffusers_version"
        case useDefaultValues = "_use_default_values"
        case numTrainTimesteps = "num_train_timesteps"
        case betaStart = "beta_start"
        case betaEnd = "beta_end"
        case betaSchedule = "beta_schedule"
        case trainedBetas = "trained_betas"
        case predictionType = "prediction_type"
        case timestepSpacing = "timestep_spacing"
        case stepsOffset = "steps_offset"
        case setAlphaToOne = "set_alpha_to_one"
        case clipSample = "clip_sample"
        case clipSampleRange = "clip_sample_range"
        case thresholding
        case rescaleBetasZeroSNR = "rescale_betas_zero_snr"
        case skipPRKSteps = "skip_prk_steps"
        case interpolationType = "interpolation_type"
        case timestepType = "timestep_type"
        case useKarrasSigmas = "use_karras_sigmas"
        case useExponentialSigmas = "use_exponential_sigmas"
        case useBetaSigmas = "use_beta_sigmas"
        case useLuLambdas = "use_lu_lambdas"
        case useFlowSigmas = "use_flow_sigmas"
        case useDynamicShifting = "use_dynamic_shifting"
        case sigmaMin = "sigma_min"
        case sigmaMax = "sigma_max"
        case finalSigmasType = "final_sigmas_type"
        case solverOrder = "solver_order"
        case algorithmType = "algorithm_type"
        case solverType = "solver_type"
        case lowerOrderFinal = "lower_order_final"
        case eulerAtFinal = "euler_at_final"
        case lambdaMinClipped = "lambda_min_clipped"
        case varianceType = "variance_type"
        case predictX0 = "predict_x0"
        case disableCorrector = "disable_corrector"
        case originalInferenceSteps = "original_inference_steps"
        case timestepScaling = "timestep_scaling"
    }

    /// Decodes a configuration; keys listed in `_use_default_values` are treated as absent.
    /// - Throws: `DecodingError` if a known key has a value of the wrong type.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaulted = Set(try container.decodeIfPresent([String].self, forKey: .useDefaultValues) ?? [])
        func value<T: Decodable>(_ key: CodingKeys) throws -> T? {
            defaulted.contains(key.rawValue) ? nil : try container.decodeIfPresent(T.self, forKey: key)
        }
        className = try value(.className)
        diffusersVersion = try value(.diffusersVersion)
        numTrainTimesteps = try value(.numTrainTimesteps)
        betaStart = try value(.betaStart)
        betaEnd = try value(.betaEnd)
        betaSchedule = try value(.betaSchedule)
        trainedBetas = try value(.trainedBetas)
        predictionType = try value(.predictionType)
        timestepSpacing = try value(.timestepSpacing)
        stepsOffset = try value(.stepsOffset)
        setAlphaToOne = try value(.setAlphaToOne)
        clipSample = try value(.clipSample)
        clipSampleRange = try value(.clipSampleRange)
        thresholding = try value(.thresholding)
        rescaleBetasZeroSNR = try value(.rescaleBetasZeroSNR)
        skipPRKSteps = try value(.skipPRKSteps)
        interpolationType = try value(.interpolationType)
        timestepType = try value(.timestepType)
        useKarrasSigmas = try value(.useKarrasSigmas)
        useExponentialSigmas = try value(.useExponentialSigmas)
        useBetaSigmas = try value(.useBetaSigmas)
        useLuLambdas = try value(.useLuLambdas)
        useFlowSigmas = try value(.useFlowSigmas)
        useDynamicShifting = try value(.useDynamicShifting)
        sigmaMin = try value(.sigmaMin)
        sigmaMax = try value(.sigmaMax)
        finalSigmasType = try value(.finalSigmasType)
        solverOrder = try value(.solverOrder)
        algorithmType = try value(.algorithmType)
        solverType = try value(.solverType)
        lowerOrderFinal = try value(.lowerOrderFinal)
        eulerAtFinal = try value(.eulerAtFinal)
        lambdaMinClipped = try value(.lambdaMinClipped)
        varianceType = try value(.varianceType)
        predictX0 = try value(.predictX0)
        disableCorrector = try value(.disableCorrector)
        originalInferenceSteps = try value(.originalInferenceSteps)
        timestepScaling = try value(.timestepScaling)
    }

    /// Encodes the keys that are set, in diffusers' spelling.
    /// - Throws: `EncodingError` if a value cannot be encoded (a non-finite number with a strict encoder).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(className, forKey: .className)
        try container.encodeIfPresent(diffusersVersion, forKey: .diffusersVersion)
        try container.encodeIfPresent(numTrainTimesteps, forKey: .numTrainTimesteps)
        try container.encodeIfPresent(betaStart, forKey: .betaStart)
        try container.encodeIfPresent(betaEnd, forKey: .betaEnd)
        try container.encodeIfPresent(betaSchedule, forKey: .betaSchedule)
        try container.encodeIfPresent(trainedBetas, forKey: .trainedBetas)
        try container.encodeIfPresent(predictionType, forKey: .predictionType)
        try container.encodeIfPresent(timestepSpacing, forKey: .timestepSpacing)
        try container.encodeIfPresent(stepsOffset, forKey: .stepsOffset)
        try container.encodeIfPresent(setAlphaToOne, forKey: .setAlphaToOne)
        try container.encodeIfPresent(clipSample, forKey: .clipSample)
        try container.encodeIfPresent(clipSampleRange, forKey: .clipSampleRange)
        try container.encodeIfPresent(thresholding, forKey: .thresholding)
        try container.encodeIfPresent(rescaleBetasZeroSNR, forKey: .rescaleBetasZeroSNR)
        try container.encodeIfPresent(skipPRKSteps, forKey: .skipPRKSteps)
        try container.encodeIfPresent(interpolationType, forKey: .interpolationType)
        try container.encodeIfPresent(timestepType, forKey: .timestepType)
        try container.encodeIfPresent(useKarrasSigmas, forKey: .useKarrasSigmas)
        try container.encodeIfPresent(useExponentialSigmas, forKey: .useExponentialSigmas)
        try container.encodeIfPresent(useBetaSigmas, forKey: .useBetaSigmas)
        try container.encodeIfPresent(useLuLambdas, forKey: .useLuLambdas)
        try container.encodeIfPresent(useFlowSigmas, forKey: .useFlowSigmas)
        try container.encodeIfPresent(useDynamicShifting, forKey: .useDynamicShifting)
        try container.encodeIfPresent(sigmaMin, forKey: .sigmaMin)
        try container.encodeIfPresent(sigmaMax, forKey: .sigmaMax)
        try container.encodeIfPresent(finalSigmasType, forKey: .finalSigmasType)
        try container.encodeIfPresent(solverOrder, forKey: .solverOrder)
        try container.encodeIfPresent(algorithmType, forKey: .algorithmType)
        try container.encodeIfPresent(solverType, forKey: .solverType)
        try container.encodeIfPresent(lowerOrderFinal, forKey: .lowerOrderFinal)
        try container.encodeIfPresent(eulerAtFinal, forKey: .eulerAtFinal)
        try container.encodeIfPresent(lambdaMinClipped, forKey: .lambdaMinClipped)
        try container.encodeIfPresent(varianceType, forKey: .varianceType)
        try container.encodeIfPresent(predictX0, forKey: .predictX0)
        try container.encodeIfPresent(disableCorrector, forKey: .disableCorrector)
        try container.encodeIfPresent(originalInferenceSteps, forKey: .originalInferenceSteps)
        try container.encodeIfPresent(timestepScaling, forKey: .timestepScaling)
    }
}
