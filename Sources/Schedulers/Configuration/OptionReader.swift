/// Reads the keys one scheduler class knows from a ``DiffusersSchedulerConfig``, applying that
/// class's defaults and turning values it does not implement into typed errors.
struct OptionReader {
    let config: DiffusersSchedulerConfig
    /// The diffusers class name, for error messages.
    let scheduler: String

    /// An enumerated option: absent → `defaultValue`; a value outside `allowed` → an error listing them.
    func choice<Option>(_ raw: String?, key: String, default defaultValue: Option,
                        allowed: [Option] = Array(Option.allCases)) throws(SchedulerError) -> Option
    where Option: RawRepresentable & CaseIterable, Option.RawValue == String {
        guard let raw else { return defaultValue }
        guard let value = Option(rawValue: raw), allowed.contains(where: { $0.rawValue == value.rawValue }) else {
            throw .unsupportedOption(scheduler: scheduler, key: key, value: "\"\(raw)\"", allowed: allowed.map { "\"\($0.rawValue)\"" })
        }
        return value
    }

    /// A feature this library does not implement: only `false` (or absent) is accepted.
    func requireOff(_ value: Bool?, key: String) throws(SchedulerError) {
        if value == true {
            throw .unsupportedOption(scheduler: scheduler, key: key, value: "true", allowed: ["false"])
        }
    }

    /// The training schedule, with this class's default betas for absent keys.
    func trainingSchedule(defaults: TrainingSchedule) throws(SchedulerError) -> TrainingSchedule {
        let schedule = TrainingSchedule(
            numTrainTimesteps: config.numTrainTimesteps ?? defaults.numTrainTimesteps,
            betaStart: config.betaStart ?? defaults.betaStart,
            betaEnd: config.betaEnd ?? defaults.betaEnd,
            betaSchedule: try choice(config.betaSchedule, key: "beta_schedule", default: defaults.betaSchedule),
            trainedBetas: config.trainedBetas)
        try schedule.validate(scheduler: scheduler)
        return schedule
    }

    /// The options every scheduler rejects when set: zero-SNR rescaling, dynamic thresholding and
    /// the alternative sigma spacings.
    func rejectUnsupportedCommonOptions() throws(SchedulerError) {
        try requireOff(config.rescaleBetasZeroSNR, key: "rescale_betas_zero_snr")
        try requireOff(config.thresholding, key: "thresholding")
    }
}

extension TrainingSchedule {
    /// The longest training schedule accepted (published models use 1000; a hundred times more is
    /// still small, and keeps a hostile config from costing seconds per scheduler built).
    static let maximumTrainTimesteps = 100_000

    /// Checks the values a scheduler can be built from.
    func validate(scheduler: String) throws(SchedulerError) {
        guard numTrainTimesteps >= 2 else {
            throw .invalidOption(scheduler: scheduler, key: "num_train_timesteps", value: "\(numTrainTimesteps)", reason: "must be at least 2")
        }
        // Schedules are arrays of this length: a config file must not be able to ask for gigabytes.
        guard numTrainTimesteps <= Self.maximumTrainTimesteps else {
            throw .invalidOption(scheduler: scheduler, key: "num_train_timesteps", value: "\(numTrainTimesteps)",
                                 reason: "must be at most \(Self.maximumTrainTimesteps)")
        }
        if let trainedBetas {
            guard trainedBetas.count == numTrainTimesteps else {
                throw .invalidOption(scheduler: scheduler, key: "trained_betas", value: "\(trainedBetas.count) values",
                                     reason: "needs one beta per training timestep (num_train_timesteps = \(numTrainTimesteps))")
            }
            guard trainedBetas.allSatisfy({ $0 >= 0 && $0 < 1 }) else {
                throw .invalidOption(scheduler: scheduler, key: "trained_betas", value: "…", reason: "every beta must be in [0, 1)")
            }
            return
        }
        for (key, value) in [("beta_start", betaStart), ("beta_end", betaEnd)] where !(value >= 0 && value < 1) {
            throw .invalidOption(scheduler: scheduler, key: key, value: "\(value)", reason: "must be in [0, 1)")
        }
    }
}

/// Checks a requested step count against `1 ... limit`.
func validateStepCount(_ steps: Int, limit: Int, scheduler: String) throws(SchedulerError) {
    guard steps >= 1, steps <= limit else {
        throw .invalidStepCount(scheduler: scheduler, steps: steps, allowed: 1...max(1, limit))
    }
}

/// Checks a number of leading steps to skip against `0 ..< steps`.
func validateSkippedSteps(_ skippedSteps: Int, steps: Int, scheduler: String) throws(SchedulerError) {
    guard skippedSteps >= 0, skippedSteps < steps else {
        throw .invalidSkippedSteps(scheduler: scheduler, skippedSteps: skippedSteps, steps: steps)
    }
}

/// Checks a prediction type against those a scheduler implements.
func validatePredictionType(_ type: PredictionType, allowed: [PredictionType], scheduler: String) throws(SchedulerError) {
    guard allowed.contains(type) else {
        throw .unsupportedOption(scheduler: scheduler, key: "prediction_type", value: "\"\(type.rawValue)\"",
                                 allowed: allowed.map { "\"\($0.rawValue)\"" })
    }
}
