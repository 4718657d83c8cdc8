extension HeunDiscreteScheduler {
    /// The options of ``HeunDiscreteScheduler``, with diffusers' `HeunDiscreteScheduler` defaults.
    public struct Configuration: SchedulerConfiguration, Equatable {
        /// The diffusers class this configuration corresponds to.
        public static let className = "HeunDiscreteScheduler"
        /// Second order: each step but the first evaluates the model twice (diffusers' `order = 2`).
        public var order: Int { 2 }
        /// The training noise schedule (default: linear betas 0.00085…0.012 over 1000 steps, Heun's
        /// own default).
        public var training: TrainingSchedule
        /// What the model predicts (default: epsilon).
        public var predictionType: PredictionType
        /// How inference timesteps are spaced (default: linspace).
        public var timestepSpacing: TimestepSpacing
        /// Added to leading timesteps (default: 0).
        public var stepsOffset: Int
        /// Space sigmas as Karras et al. (default: false).
        public var useKarrasSigmas: Bool
        /// Clamp the predicted original sample to ±`clipSampleRange` (default: false).
        public var clipSample: Bool
        /// The clamp bound (default: 1).
        public var clipSampleRange: Double

        /// Heun's default training schedule: linear betas from 0.00085 to 0.012.
        public static let defaultTraining = TrainingSchedule(betaStart: 0.00085, betaEnd: 0.012)

        /// Creates a configuration; every default is diffusers'.
        /// - Parameters:
        ///   - training: The training noise schedule.
        ///   - predictionType: What the model predicts.
        ///   - timestepSpacing: How inference timesteps are spaced.
        ///   - stepsOffset: Added to leading timesteps.
        ///   - useKarrasSigmas: Karras sigma spacing.
        ///   - clipSample: Clamp the predicted original sample.
        ///   - clipSampleRange: The clamp bound.
        public init(training: TrainingSchedule = Configuration.defaultTraining, predictionType: PredictionType = .epsilon,
                    timestepSpacing: TimestepSpacing = .linspace, stepsOffset: Int = 0, useKarrasSigmas: Bool = false,
                    clipSample: Bool = false, clipSampleRange: Double = 1) {
            self.training = training
            self.predictionType = predictionType
            self.timestepSpacing = timestepSpacing
            self.stepsOffset = stepsOffset
            self.useKarrasSigmas = useKarrasSigmas
            self.clipSample = clipSample
            self.clipSampleRange = clipSampleRange
        }

        /// Reads the keys `HeunDiscreteScheduler` knows; absent keys take its defaults, other keys
        /// are ignored.
        /// - Parameter config: The decoded `scheduler_config.json`, with any overrides applied.
        /// - Throws: ``SchedulerError`` naming a key whose value is not supported (the "exp" beta
        ///   schedule among them).
        public init(_ config: DiffusersSchedulerConfig) throws(SchedulerError) {
            let reader = OptionReader(config: config, scheduler: Self.className)
            try reader.requireOff(config.useExponentialSigmas, key: "use_exponential_sigmas")
            try reader.requireOff(config.useBetaSigmas, key: "use_beta_sigmas")
            self.init(training: try reader.trainingSchedule(defaults: Self.defaultTraining),
                      predictionType: try reader.choice(config.predictionType, key: "prediction_type", default: .epsilon),
                      timestepSpacing: try reader.choice(config.timestepSpacing, key: "timestep_spacing", default: .linspace),
                      stepsOffset: config.stepsOffset ?? 0,
                      useKarrasSigmas: config.useKarrasSigmas ?? false,
                      clipSample: config.clipSample ?? false,
                      clipSampleRange: config.clipSampleRange ?? 1)
        }

        /// "HeunDiscreteScheduler".
        public var name: String { Self.className }

        /// Makes a Heun scheduler for `steps` steps (`2 × steps − 1` model calls).
        /// - Parameter steps: 1 … `num_train_timesteps`.
        /// - Returns: A new ``HeunDiscreteScheduler``.
        /// - Throws: ``SchedulerError`` for a bad step count or configuration.
        public func makeScheduler(steps: Int) throws(SchedulerError) -> any Scheduler {
            try HeunDiscreteScheduler(configuration: self, steps: steps)
        }

        /// Makes a Heun scheduler that runs the last `Int(steps × strength)` of `steps` steps.
        /// - Parameters:
        ///   - steps: 1 … `num_train_timesteps`.
        ///   - strength: 0…1.
        /// - Returns: A new ``HeunDiscreteScheduler``.
        /// - Throws: ``SchedulerError`` for a bad step count, strength or configuration.
        public func makeScheduler(steps: Int, strength: Double) throws(SchedulerError) -> any Scheduler {
            try validateStepCount(steps, limit: training.numTrainTimesteps, scheduler: name)
            return try HeunDiscreteScheduler(configuration: self, steps: steps,
                                             skippedSteps: ImageToImage.skippedSteps(steps: steps, strength: strength))
        }
    }
}
