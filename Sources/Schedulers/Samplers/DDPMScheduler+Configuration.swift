extension DDPMScheduler {
    /// How DDPM's step noise variance is chosen (`variance_type`).
    public enum VarianceType: String, Sendable, CaseIterable, Codable {
        /// The posterior variance β̃ₜ (the default).
        case fixedSmall = "fixed_small"
        /// β̃ₜ computed through its logarithm; the standard deviation is `exp(½ log β̃ₜ)`.
        case fixedSmallLog = "fixed_small_log"
        /// βₜ of the step.
        case fixedLarge = "fixed_large"
    }

    /// The options of ``DDPMScheduler``, with diffusers' `DDPMScheduler` defaults.
    public struct Configuration: SchedulerConfiguration, Equatable {
        /// The diffusers class this configuration corresponds to.
        public static let className = "DDPMScheduler"
        /// The training noise schedule (default: linear betas 0.0001…0.02 over 1000 steps).
        public var training: TrainingSchedule
        /// What the model predicts (default: epsilon).
        public var predictionType: PredictionType
        /// How inference timesteps are spaced (default: leading).
        public var timestepSpacing: TimestepSpacing
        /// Added to leading timesteps (default: 0).
        public var stepsOffset: Int
        /// The step noise variance (default: fixed_small).
        public var varianceType: VarianceType
        /// Clamp the predicted original sample to ±`clipSampleRange` (default: true).
        public var clipSample: Bool
        /// The clamp bound (default: 1).
        public var clipSampleRange: Double

        /// Creates a configuration; every default is diffusers'.
        /// - Parameters:
        ///   - training: The training noise schedule.
        ///   - predictionType: What the model predicts.
        ///   - timestepSpacing: How inference timesteps are spaced.
        ///   - stepsOffset: Added to leading timesteps.
        ///   - varianceType: The step noise variance.
        ///   - clipSample: Clamp the predicted original sample.
        ///   - clipSampleRange: The clamp bound.
        public init(training: TrainingSchedule = TrainingSchedule(), predictionType: PredictionType = .epsilon,
                    timestepSpacing: TimestepSpacing = .leading, stepsOffset: Int = 0,
                    varianceType: VarianceType = .fixedSmall, clipSample: Bool = true, clipSampleRange: Double = 1) {
            self.training = training
            self.predictionType = predictionType
            self.timestepSpacing = timestepSpacing
            self.stepsOffset = stepsOffset
            self.varianceType = varianceType
            self.clipSample = clipSample
            self.clipSampleRange = clipSampleRange
        }

        /// Reads the keys `DDPMScheduler` knows; absent keys take its defaults, other keys are ignored.
        /// - Parameter config: The decoded `scheduler_config.json`, with any overrides applied.
        /// - Throws: ``SchedulerError`` naming a key whose value is not supported.
        public init(_ config: DiffusersSchedulerConfig) throws(SchedulerError) {
            let reader = OptionReader(config: config, scheduler: Self.className)
            try reader.rejectUnsupportedCommonOptions()
            self.init(training: try reader.trainingSchedule(defaults: TrainingSchedule()),
                      predictionType: try reader.choice(config.predictionType, key: "prediction_type", default: .epsilon),
                      timestepSpacing: try reader.choice(config.timestepSpacing, key: "timestep_spacing", default: .leading),
                      stepsOffset: config.stepsOffset ?? 0,
                      varianceType: try reader.choice(config.varianceType, key: "variance_type", default: .fixedSmall),
                      clipSample: config.clipSample ?? true,
                      clipSampleRange: config.clipSampleRange ?? 1)
        }

        /// "DDPMScheduler".
        public var name: String { Self.className }

        /// Makes a DDPM scheduler for `steps` steps.
        /// - Parameter steps: 1 … `num_train_timesteps`.
        /// - Returns: A new ``DDPMScheduler``.
        /// - Throws: ``SchedulerError`` for a bad step count or configuration.
        public func makeScheduler(steps: Int) throws(SchedulerError) -> any Scheduler {
            try DDPMScheduler(configuration: self, steps: steps)
        }

        /// Makes a DDPM scheduler that runs the last `Int(steps × strength)` of `steps` steps.
        /// - Parameters:
        ///   - steps: 1 … `num_train_timesteps`.
        ///   - strength: 0…1.
        /// - Returns: A new ``DDPMScheduler``.
        /// - Throws: ``SchedulerError`` for a bad step count, strength or configuration.
        public func makeScheduler(steps: Int, strength: Double) throws(SchedulerError) -> any Scheduler {
            try validateStepCount(steps, limit: training.numTrainTimesteps, scheduler: name)
            return try DDPMScheduler(configuration: self, steps: steps,
                                     skippedSteps: ImageToImage.skippedSteps(steps: steps, strength: strength))
        }
    }
}
