extension EulerAncestralDiscreteScheduler {
    /// The options of ``EulerAncestralDiscreteScheduler``, with diffusers'
    /// `EulerAncestralDiscreteScheduler` defaults.
    public struct Configuration: SchedulerConfiguration, Equatable {
        /// The diffusers class this configuration corresponds to.
        public static let className = "EulerAncestralDiscreteScheduler"
        /// The training noise schedule (default: linear betas 0.0001…0.02 over 1000 steps).
        public var training: TrainingSchedule
        /// What the model predicts: epsilon (default) or v_prediction.
        public var predictionType: PredictionType
        /// How inference timesteps are spaced (default: linspace).
        public var timestepSpacing: TimestepSpacing
        /// Added to leading timesteps (default: 0).
        public var stepsOffset: Int

        /// Creates a configuration; every default is diffusers'.
        /// - Parameters:
        ///   - training: The training noise schedule.
        ///   - predictionType: What the model predicts (epsilon or v_prediction).
        ///   - timestepSpacing: How inference timesteps are spaced.
        ///   - stepsOffset: Added to leading timesteps.
        public init(training: TrainingSchedule = TrainingSchedule(), predictionType: PredictionType = .epsilon,
                    timestepSpacing: TimestepSpacing = .linspace, stepsOffset: Int = 0) {
            self.training = training
            self.predictionType = predictionType
            self.timestepSpacing = timestepSpacing
            self.stepsOffset = stepsOffset
        }

        /// Reads the keys `EulerAncestralDiscreteScheduler` knows; absent keys take its defaults,
        /// other keys are ignored.
        /// - Parameter config: The decoded `scheduler_config.json`, with any overrides applied.
        /// - Throws: ``SchedulerError`` naming a key whose value is not supported.
        public init(_ config: DiffusersSchedulerConfig) throws(SchedulerError) {
            let reader = OptionReader(config: config, scheduler: Self.className)
            try reader.requireOff(config.rescaleBetasZeroSNR, key: "rescale_betas_zero_snr")
            self.init(training: try reader.trainingSchedule(defaults: TrainingSchedule()),
                      predictionType: try reader.choice(config.predictionType, key: "prediction_type", default: .epsilon,
                                                        allowed: Self.predictionTypes),
                      timestepSpacing: try reader.choice(config.timestepSpacing, key: "timestep_spacing", default: .linspace),
                      stepsOffset: config.stepsOffset ?? 0)
        }

        // diffusers raises NotImplementedError for sample prediction.
        static let predictionTypes: [PredictionType] = [.epsilon, .vPrediction]

        /// "EulerAncestralDiscreteScheduler".
        public var name: String { Self.className }

        /// Makes an Euler ancestral scheduler for `steps` steps.
        /// - Parameter steps: 1 … `num_train_timesteps`.
        /// - Returns: A new ``EulerAncestralDiscreteScheduler``.
        /// - Throws: ``SchedulerError`` for a bad step count or configuration.
        public func makeScheduler(steps: Int) throws(SchedulerError) -> any Scheduler {
            try EulerAncestralDiscreteScheduler(configuration: self, steps: steps)
        }

        /// Makes an Euler ancestral scheduler that runs the last `Int(steps × strength)` of `steps` steps.
        /// - Parameters:
        ///   - steps: 1 … `num_train_timesteps`.
        ///   - strength: 0…1.
        /// - Returns: A new ``EulerAncestralDiscreteScheduler``.
        /// - Throws: ``SchedulerError`` for a bad step count, strength or configuration.
        public func makeScheduler(steps: Int, strength: Double) throws(SchedulerError) -> any Scheduler {
            try validateStepCount(steps, limit: training.numTrainTimesteps, scheduler: name)
            return try EulerAncestralDiscreteScheduler(configuration: self, steps: steps,
                                                       skippedSteps: ImageToImage.skippedSteps(steps: steps, strength: strength))
        }
    }
}
