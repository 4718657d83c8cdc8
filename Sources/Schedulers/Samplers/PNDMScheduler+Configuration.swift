extension PNDMScheduler {
    /// The options of ``PNDMScheduler``, with diffusers' `PNDMScheduler` defaults.
    public struct Configuration: SchedulerConfiguration, Equatable {
        /// The diffusers class this configuration corresponds to.
        public static let className = "PNDMScheduler"
        /// The training noise schedule (default: linear betas 0.0001…0.02 over 1000 steps).
        public var training: TrainingSchedule
        /// What the model predicts: epsilon (default) or v_prediction.
        public var predictionType: PredictionType
        /// How inference timesteps are spaced (default: leading).
        public var timestepSpacing: TimestepSpacing
        /// Added to leading timesteps (default: 0; Stable Diffusion uses 1).
        public var stepsOffset: Int
        /// Run only the linear multistep (PLMS) part, as Stable Diffusion does; when false the
        /// first three steps are Runge–Kutta steps of four model calls each (default: false).
        public var skipPRKSteps: Bool
        /// Past the last timestep, use ᾱ = 1 rather than ᾱ₀ (default: false).
        public var setAlphaToOne: Bool

        /// Creates a configuration; every default is diffusers'.
        /// - Parameters:
        ///   - training: The training noise schedule.
        ///   - predictionType: What the model predicts (epsilon or v_prediction).
        ///   - timestepSpacing: How inference timesteps are spaced.
        ///   - stepsOffset: Added to leading timesteps.
        ///   - skipPRKSteps: Run PLMS only.
        ///   - setAlphaToOne: Use ᾱ = 1 past the last timestep.
        public init(training: TrainingSchedule = TrainingSchedule(), predictionType: PredictionType = .epsilon,
                    timestepSpacing: TimestepSpacing = .leading, stepsOffset: Int = 0, skipPRKSteps: Bool = false,
                    setAlphaToOne: Bool = false) {
            self.training = training
            self.predictionType = predictionType
            self.timestepSpacing = timestepSpacing
            self.stepsOffset = stepsOffset
            self.skipPRKSteps = skipPRKSteps
            self.setAlphaToOne = setAlphaToOne
        }

        /// Reads the keys `PNDMScheduler` knows; absent keys take its defaults, other keys are ignored.
        /// - Parameter config: The decoded `scheduler_config.json`, with any overrides applied.
        /// - Throws: ``SchedulerError`` naming a key whose value is not supported.
        public init(_ config: DiffusersSchedulerConfig) throws(SchedulerError) {
            let reader = OptionReader(config: config, scheduler: Self.className)
            self.init(training: try reader.trainingSchedule(defaults: TrainingSchedule()),
                      predictionType: try reader.choice(config.predictionType, key: "prediction_type", default: .epsilon,
                                                        allowed: Self.predictionTypes),
                      timestepSpacing: try reader.choice(config.timestepSpacing, key: "timestep_spacing", default: .leading),
                      stepsOffset: config.stepsOffset ?? 0,
                      skipPRKSteps: config.skipPRKSteps ?? false,
                      setAlphaToOne: config.setAlphaToOne ?? false)
        }

        static let predictionTypes: [PredictionType] = [.epsilon, .vPrediction]

        /// "PNDMScheduler".
        public var name: String { Self.className }

        /// Makes a PNDM scheduler for `steps` steps.
        /// - Parameter steps: 1 … `num_train_timesteps` (4 or more with Runge–Kutta steps).
        /// - Returns: A new ``PNDMScheduler``.
        /// - Throws: ``SchedulerError`` for a bad step count or configuration.
        public func makeScheduler(steps: Int) throws(SchedulerError) -> any Scheduler {
            try PNDMScheduler(configuration: self, steps: steps)
        }

        /// Makes a PNDM scheduler that runs the timesteps from index `steps − Int(steps × strength)`
        /// on, with fresh multistep state, as diffusers' img2img pipeline does.
        /// - Parameters:
        ///   - steps: 1 … `num_train_timesteps`.
        ///   - strength: 0…1.
        /// - Returns: A new ``PNDMScheduler``.
        /// - Throws: ``SchedulerError`` for a bad step count, strength or configuration.
        public func makeScheduler(steps: Int, strength: Double) throws(SchedulerError) -> any Scheduler {
            try validateStepCount(steps, limit: training.numTrainTimesteps, scheduler: name)
            return try PNDMScheduler(configuration: self, steps: steps,
                                     skippedSteps: ImageToImage.skippedSteps(steps: steps, strength: strength))
        }
    }
}
