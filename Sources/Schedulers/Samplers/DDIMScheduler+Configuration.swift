extension DDIMScheduler {
    /// The options of ``DDIMScheduler``, with diffusers' `DDIMScheduler` defaults.
    public struct Configuration: SchedulerConfiguration, Equatable {
        /// The diffusers class this configuration corresponds to.
        public static let className = "DDIMScheduler"
        /// The training noise schedule (default: linear betas 0.0001…0.02 over 1000 steps).
        public var training: TrainingSchedule
        /// What the model predicts (default: epsilon).
        public var predictionType: PredictionType
        /// How inference timesteps are spaced (default: leading).
        public var timestepSpacing: TimestepSpacing
        /// Added to leading timesteps (default: 0; Stable Diffusion uses 1).
        public var stepsOffset: Int
        /// Clamp the predicted original sample to ±`clipSampleRange` (default: true).
        public var clipSample: Bool
        /// The clamp bound (default: 1).
        public var clipSampleRange: Double
        /// Past the last timestep, use ᾱ = 1 rather than ᾱ₀ (default: true).
        public var setAlphaToOne: Bool
        /// The weight of the noise added at each step, η: 0 is deterministic DDIM, 1 is DDPM-like
        /// (a generation parameter in diffusers, not a `scheduler_config.json` key; default: 0).
        public var eta: Double

        /// Creates a configuration; every default is diffusers'.
        /// - Parameters:
        ///   - training: The training noise schedule.
        ///   - predictionType: What the model predicts.
        ///   - timestepSpacing: How inference timesteps are spaced.
        ///   - stepsOffset: Added to leading timesteps.
        ///   - clipSample: Clamp the predicted original sample.
        ///   - clipSampleRange: The clamp bound.
        ///   - setAlphaToOne: Use ᾱ = 1 past the last timestep.
        ///   - eta: The noise weight η.
        public init(training: TrainingSchedule = TrainingSchedule(), predictionType: PredictionType = .epsilon,
                    timestepSpacing: TimestepSpacing = .leading, stepsOffset: Int = 0, clipSample: Bool = true,
                    clipSampleRange: Double = 1, setAlphaToOne: Bool = true, eta: Double = 0) {
            self.training = training
            self.predictionType = predictionType
            self.timestepSpacing = timestepSpacing
            self.stepsOffset = stepsOffset
            self.clipSample = clipSample
            self.clipSampleRange = clipSampleRange
            self.setAlphaToOne = setAlphaToOne
            self.eta = eta
        }

        /// Reads the keys `DDIMScheduler` knows from a model's configuration; absent keys take
        /// `DDIMScheduler`'s defaults, other keys are ignored.
        /// - Parameter config: The decoded `scheduler_config.json`, with any overrides applied.
        /// - Throws: ``SchedulerError`` naming a key whose value is not supported.
        public init(_ config: DiffusersSchedulerConfig) throws(SchedulerError) {
            let reader = OptionReader(config: config, scheduler: Self.className)
            try reader.rejectUnsupportedCommonOptions()
            self.init(training: try reader.trainingSchedule(defaults: TrainingSchedule()),
                      predictionType: try reader.choice(config.predictionType, key: "prediction_type", default: .epsilon),
                      timestepSpacing: try reader.choice(config.timestepSpacing, key: "timestep_spacing", default: .leading),
                      stepsOffset: config.stepsOffset ?? 0,
                      clipSample: config.clipSample ?? true,
                      clipSampleRange: config.clipSampleRange ?? 1,
                      setAlphaToOne: config.setAlphaToOne ?? true)
        }

        /// "DDIMScheduler".
        public var name: String { Self.className }

        /// Makes a DDIM scheduler for `steps` steps.
        /// - Parameter steps: 1 … `num_train_timesteps`.
        /// - Returns: A new ``DDIMScheduler``.
        /// - Throws: ``SchedulerError`` for a bad step count or configuration.
        public func makeScheduler(steps: Int) throws(SchedulerError) -> any Scheduler {
            try DDIMScheduler(configuration: self, steps: steps, skippedSteps: 0)
        }

        /// Makes a DDIM scheduler that runs the last `Int(steps × strength)` of `steps` steps.
        /// - Parameters:
        ///   - steps: 1 … `num_train_timesteps`.
        ///   - strength: 0…1.
        /// - Returns: A new ``DDIMScheduler``.
        /// - Throws: ``SchedulerError`` for a bad step count, strength or configuration.
        public func makeScheduler(steps: Int, strength: Double) throws(SchedulerError) -> any Scheduler {
            try validateStepCount(steps, limit: training.numTrainTimesteps, scheduler: name)
            return try DDIMScheduler(configuration: self, steps: steps,
                                     skippedSteps: ImageToImage.skippedSteps(steps: steps, strength: strength))
        }
    }
}
