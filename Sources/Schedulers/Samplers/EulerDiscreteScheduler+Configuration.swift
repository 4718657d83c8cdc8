extension EulerDiscreteScheduler {
    /// The options of ``EulerDiscreteScheduler``, with diffusers' `EulerDiscreteScheduler` defaults.
    public struct Configuration: SchedulerConfiguration, Equatable {
        /// The diffusers class this configuration corresponds to.
        public static let className = "EulerDiscreteScheduler"
        /// The training noise schedule (default: linear betas 0.0001…0.02 over 1000 steps).
        public var training: TrainingSchedule
        /// What the model predicts (default: epsilon).
        public var predictionType: PredictionType
        /// How inference timesteps are spaced (default: linspace; SD-Turbo uses trailing).
        public var timestepSpacing: TimestepSpacing
        /// Added to leading timesteps (default: 0).
        public var stepsOffset: Int
        /// Space sigmas as Karras et al. (default: false).
        public var useKarrasSigmas: Bool
        /// The smallest Karras sigma (default: the schedule's).
        public var sigmaMin: Double?
        /// The largest Karras sigma (default: the schedule's).
        public var sigmaMax: Double?
        /// The sigma after the last step (default: zero).
        public var finalSigmas: FinalSigmas

        /// Creates a configuration; every default is diffusers'.
        /// - Parameters:
        ///   - training: The training noise schedule.
        ///   - predictionType: What the model predicts.
        ///   - timestepSpacing: How inference timesteps are spaced.
        ///   - stepsOffset: Added to leading timesteps.
        ///   - useKarrasSigmas: Karras sigma spacing.
        ///   - sigmaMin: The smallest Karras sigma.
        ///   - sigmaMax: The largest Karras sigma.
        ///   - finalSigmas: The sigma after the last step.
        public init(training: TrainingSchedule = TrainingSchedule(), predictionType: PredictionType = .epsilon,
                    timestepSpacing: TimestepSpacing = .linspace, stepsOffset: Int = 0, useKarrasSigmas: Bool = false,
                    sigmaMin: Double? = nil, sigmaMax: Double? = nil, finalSigmas: FinalSigmas = .zero) {
            self.training = training
            self.predictionType = predictionType
            self.timestepSpacing = timestepSpacing
            self.stepsOffset = stepsOffset
            self.useKarrasSigmas = useKarrasSigmas
            self.sigmaMin = sigmaMin
            self.sigmaMax = sigmaMax
            self.finalSigmas = finalSigmas
        }

        /// Reads the keys `EulerDiscreteScheduler` knows; absent keys take its defaults, other keys
        /// are ignored.
        /// - Parameter config: The decoded `scheduler_config.json`, with any overrides applied.
        /// - Throws: ``SchedulerError`` naming a key whose value is not supported.
        public init(_ config: DiffusersSchedulerConfig) throws(SchedulerError) {
            let reader = OptionReader(config: config, scheduler: Self.className)
            try reader.requireOff(config.rescaleBetasZeroSNR, key: "rescale_betas_zero_snr")
            try reader.requireOff(config.useExponentialSigmas, key: "use_exponential_sigmas")
            try reader.requireOff(config.useBetaSigmas, key: "use_beta_sigmas")
            if let interpolation = config.interpolationType, interpolation != "linear" {
                throw .unsupportedOption(scheduler: Self.className, key: "interpolation_type", value: "\"\(interpolation)\"",
                                         allowed: ["\"linear\""])
            }
            if let type = config.timestepType, type != "discrete" {
                throw .unsupportedOption(scheduler: Self.className, key: "timestep_type", value: "\"\(type)\"",
                                         allowed: ["\"discrete\""])
            }
            self.init(training: try reader.trainingSchedule(defaults: TrainingSchedule()),
                      predictionType: try reader.choice(config.predictionType, key: "prediction_type", default: .epsilon),
                      timestepSpacing: try reader.choice(config.timestepSpacing, key: "timestep_spacing", default: .linspace),
                      stepsOffset: config.stepsOffset ?? 0,
                      useKarrasSigmas: config.useKarrasSigmas ?? false,
                      sigmaMin: config.sigmaMin, sigmaMax: config.sigmaMax,
                      finalSigmas: try reader.choice(config.finalSigmasType, key: "final_sigmas_type", default: .zero))
        }

        /// "EulerDiscreteScheduler".
        public var name: String { Self.className }

        /// Makes an Euler scheduler for `steps` steps.
        /// - Parameter steps: 1 … `num_train_timesteps`.
        /// - Returns: A new ``EulerDiscreteScheduler``.
        /// - Throws: ``SchedulerError`` for a bad step count or configuration.
        public func makeScheduler(steps: Int) throws(SchedulerError) -> any Scheduler {
            try EulerDiscreteScheduler(configuration: self, steps: steps)
        }

        /// Makes an Euler scheduler that runs the last `Int(steps × strength)` of `steps` steps.
        /// - Parameters:
        ///   - steps: 1 … `num_train_timesteps`.
        ///   - strength: 0…1.
        /// - Returns: A new ``EulerDiscreteScheduler``.
        /// - Throws: ``SchedulerError`` for a bad step count, strength or configuration.
        public func makeScheduler(steps: Int, strength: Double) throws(SchedulerError) -> any Scheduler {
            try validateStepCount(steps, limit: training.numTrainTimesteps, scheduler: name)
            return try EulerDiscreteScheduler(configuration: self, steps: steps,
                                              skippedSteps: ImageToImage.skippedSteps(steps: steps, strength: strength))
        }
    }
}
