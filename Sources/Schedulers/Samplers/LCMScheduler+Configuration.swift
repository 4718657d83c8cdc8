extension LCMScheduler {
    /// The options of ``LCMScheduler``, with diffusers' `LCMScheduler` defaults.
    public struct Configuration: SchedulerConfiguration, Equatable {
        /// The diffusers class this configuration corresponds to.
        public static let className = "LCMScheduler"
        /// The training noise schedule (default: Stable Diffusion's scaled-linear 0.00085…0.012).
        public var training: TrainingSchedule
        /// The length of the schedule the model was distilled on (default: 50); inference timesteps
        /// are taken from it.
        public var originalInferenceSteps: Int
        /// What the model predicts (default: epsilon).
        public var predictionType: PredictionType
        /// Clamp the predicted original sample to ±`clipSampleRange` (default: false).
        public var clipSample: Bool
        /// The clamp bound (default: 1).
        public var clipSampleRange: Double
        /// Past the last timestep, use ᾱ = 1 rather than ᾱ₀ (default: true; LCM never steps past it).
        public var setAlphaToOne: Bool
        /// The timestep scale of the consistency boundary condition (default: 10).
        public var timestepScaling: Double

        /// Creates a configuration; every default is diffusers'.
        /// - Parameters:
        ///   - training: The training noise schedule.
        ///   - originalInferenceSteps: The distillation schedule length.
        ///   - predictionType: What the model predicts.
        ///   - clipSample: Clamp the predicted original sample.
        ///   - clipSampleRange: The clamp bound.
        ///   - setAlphaToOne: Use ᾱ = 1 past the last timestep.
        ///   - timestepScaling: The boundary-condition timestep scale.
        public init(training: TrainingSchedule = .stableDiffusion, originalInferenceSteps: Int = 50,
                    predictionType: PredictionType = .epsilon, clipSample: Bool = false, clipSampleRange: Double = 1,
                    setAlphaToOne: Bool = true, timestepScaling: Double = 10) {
            self.training = training
            self.originalInferenceSteps = originalInferenceSteps
            self.predictionType = predictionType
            self.clipSample = clipSample
            self.clipSampleRange = clipSampleRange
            self.setAlphaToOne = setAlphaToOne
            self.timestepScaling = timestepScaling
        }

        /// Reads the keys `LCMScheduler` knows; absent keys take its defaults, other keys are
        /// ignored (as in diffusers, `timestep_spacing` and `steps_offset` have no effect on LCM).
        /// - Parameter config: The decoded `scheduler_config.json`, with any overrides applied.
        /// - Throws: ``SchedulerError`` naming a key whose value is not supported.
        public init(_ config: DiffusersSchedulerConfig) throws(SchedulerError) {
            let reader = OptionReader(config: config, scheduler: Self.className)
            try reader.rejectUnsupportedCommonOptions()
            self.init(training: try reader.trainingSchedule(defaults: .stableDiffusion),
                      originalInferenceSteps: config.originalInferenceSteps ?? 50,
                      predictionType: try reader.choice(config.predictionType, key: "prediction_type", default: .epsilon),
                      clipSample: config.clipSample ?? false,
                      clipSampleRange: config.clipSampleRange ?? 1,
                      setAlphaToOne: config.setAlphaToOne ?? true,
                      timestepScaling: config.timestepScaling ?? 10)
        }

        /// "LCMScheduler".
        public var name: String { Self.className }

        /// Makes an LCM scheduler for `steps` steps.
        /// - Parameter steps: 1 … `original_inference_steps`.
        /// - Returns: A new ``LCMScheduler``.
        /// - Throws: ``SchedulerError`` for a bad step count or configuration.
        public func makeScheduler(steps: Int) throws(SchedulerError) -> any Scheduler {
            try LCMScheduler(configuration: self, steps: steps)
        }

        /// Makes an LCM scheduler that runs the last `Int(steps × strength)` of `steps` steps, as
        /// `StableDiffusionImg2ImgPipeline` does.
        /// - Parameters:
        ///   - steps: 1 … `original_inference_steps`.
        ///   - strength: 0…1.
        /// - Returns: A new ``LCMScheduler``.
        /// - Throws: ``SchedulerError`` for a bad step count, strength or configuration.
        public func makeScheduler(steps: Int, strength: Double) throws(SchedulerError) -> any Scheduler {
            try validateStepCount(steps, limit: min(originalInferenceSteps, training.numTrainTimesteps), scheduler: name)
            return try LCMScheduler(configuration: self, steps: steps,
                                    skippedSteps: ImageToImage.skippedSteps(steps: steps, strength: strength))
        }
    }
}
