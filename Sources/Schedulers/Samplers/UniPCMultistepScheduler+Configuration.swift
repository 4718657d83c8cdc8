extension UniPCMultistepScheduler {
    /// UniPC's B(h) function (`solver_type`).
    public enum SolverType: String, Sendable, CaseIterable, Codable {
        /// B(h) = h.
        case bh1
        /// B(h) = eʰ − 1 (the default).
        case bh2
    }

    /// The options of ``UniPCMultistepScheduler``, with diffusers' `UniPCMultistepScheduler` defaults.
    public struct Configuration: SchedulerConfiguration, Equatable {
        /// The diffusers class this configuration corresponds to.
        public static let className = "UniPCMultistepScheduler"
        /// The training noise schedule (default: linear betas 0.0001…0.02 over 1000 steps).
        public var training: TrainingSchedule
        /// The predictor/corrector order, 1…3 (default: 2).
        public var solverOrder: Int
        /// What the model predicts (default: epsilon).
        public var predictionType: PredictionType
        /// Work on data predictions x₀ (true, the default) or on noise predictions.
        public var predictX0: Bool
        /// B(h) (default: bh2).
        public var solverType: SolverType
        /// Lower the order for the last steps (default: true).
        public var lowerOrderFinal: Bool
        /// Step indices whose corrector is skipped (default: none).
        public var disableCorrector: [Int]
        /// Space sigmas as Karras et al. (default: false).
        public var useKarrasSigmas: Bool
        /// The smallest Karras sigma (default: the schedule's).
        public var sigmaMin: Double?
        /// The largest Karras sigma (default: the schedule's).
        public var sigmaMax: Double?
        /// The sigma after the last step (default: zero).
        public var finalSigmas: FinalSigmas
        /// How inference timesteps are spaced (default: linspace).
        public var timestepSpacing: TimestepSpacing
        /// Added to leading timesteps (default: 0).
        public var stepsOffset: Int

        /// Creates a configuration; every default is diffusers'.
        /// - Parameters:
        ///   - training: The training noise schedule.
        ///   - solverOrder: The order, 1…3.
        ///   - predictionType: What the model predicts.
        ///   - predictX0: Data-prediction (true) or noise-prediction form.
        ///   - solverType: B(h).
        ///   - lowerOrderFinal: Lower the order for the last steps.
        ///   - disableCorrector: Step indices without corrector.
        ///   - useKarrasSigmas: Karras sigma spacing.
        ///   - sigmaMin: The smallest Karras sigma.
        ///   - sigmaMax: The largest Karras sigma.
        ///   - finalSigmas: The sigma after the last step.
        ///   - timestepSpacing: How inference timesteps are spaced.
        ///   - stepsOffset: Added to leading timesteps.
        public init(training: TrainingSchedule = TrainingSchedule(), solverOrder: Int = 2,
                    predictionType: PredictionType = .epsilon, predictX0: Bool = true, solverType: SolverType = .bh2,
                    lowerOrderFinal: Bool = true, disableCorrector: [Int] = [], useKarrasSigmas: Bool = false,
                    sigmaMin: Double? = nil, sigmaMax: Double? = nil, finalSigmas: FinalSigmas = .zero,
                    timestepSpacing: TimestepSpacing = .linspace, stepsOffset: Int = 0) {
            self.training = training
            self.solverOrder = solverOrder
            self.predictionType = predictionType
            self.predictX0 = predictX0
            self.solverType = solverType
            self.lowerOrderFinal = lowerOrderFinal
            self.disableCorrector = disableCorrector
            self.useKarrasSigmas = useKarrasSigmas
            self.sigmaMin = sigmaMin
            self.sigmaMax = sigmaMax
            self.finalSigmas = finalSigmas
            self.timestepSpacing = timestepSpacing
            self.stepsOffset = stepsOffset
        }

        /// Reads the keys `UniPCMultistepScheduler` knows; absent keys take its defaults, other keys
        /// are ignored. Like diffusers, `solver_type` "midpoint" / "heun" / "logrho" mean bh2.
        /// - Parameter config: The decoded `scheduler_config.json`, with any overrides applied.
        /// - Throws: ``SchedulerError`` naming a key whose value is not supported.
        public init(_ config: DiffusersSchedulerConfig) throws(SchedulerError) {
            let reader = OptionReader(config: config, scheduler: Self.className)
            try reader.rejectUnsupportedCommonOptions()
            for (value, key) in [(config.useExponentialSigmas, "use_exponential_sigmas"), (config.useBetaSigmas, "use_beta_sigmas"),
                                 (config.useFlowSigmas, "use_flow_sigmas"), (config.useDynamicShifting, "use_dynamic_shifting")] {
                try reader.requireOff(value, key: key)
            }
            let solverName = ["midpoint", "heun", "logrho"].contains(config.solverType ?? "") ? SolverType.bh2.rawValue : config.solverType
            self.init(training: try reader.trainingSchedule(defaults: TrainingSchedule()),
                      solverOrder: config.solverOrder ?? 2,
                      predictionType: try reader.choice(config.predictionType, key: "prediction_type", default: .epsilon),
                      predictX0: config.predictX0 ?? true,
                      solverType: try reader.choice(solverName, key: "solver_type", default: .bh2),
                      lowerOrderFinal: config.lowerOrderFinal ?? true,
                      disableCorrector: config.disableCorrector ?? [],
                      useKarrasSigmas: config.useKarrasSigmas ?? false,
                      sigmaMin: config.sigmaMin, sigmaMax: config.sigmaMax,
                      finalSigmas: try reader.choice(config.finalSigmasType, key: "final_sigmas_type", default: .zero),
                      timestepSpacing: try reader.choice(config.timestepSpacing, key: "timestep_spacing", default: .linspace),
                      stepsOffset: config.stepsOffset ?? 0)
            try validate()
        }

        func validate() throws(SchedulerError) {
            guard (1...3).contains(solverOrder) else {
                throw .unsupportedOption(scheduler: Self.className, key: "solver_order", value: "\(solverOrder)", allowed: ["1", "2", "3"])
            }
            // With a final σ of 0, h = ∞ at the last step: these forms make diffusers' last sample NaN or
            // infinite, so they are refused rather than silently differing from it.
            guard finalSigmas == .zero else { return }
            let hint = "with final_sigmas_type \"zero\" diffusers' last step is not finite; use final_sigmas_type \"sigma_min\""
            if !predictX0 {
                throw .invalidOption(scheduler: Self.className, key: "predict_x0", value: "false", reason: hint)
            }
            if solverType == .bh1 {
                throw .invalidOption(scheduler: Self.className, key: "solver_type", value: "\"bh1\"", reason: hint + " or bh2")
            }
            if !lowerOrderFinal && solverOrder > 1 {
                throw .invalidOption(scheduler: Self.className, key: "lower_order_final", value: "false",
                                     reason: hint + " or lower_order_final true")
            }
        }

        /// "UniPCMultistepScheduler".
        public var name: String { Self.className }

        /// Makes a UniPC scheduler for `steps` steps.
        /// - Parameter steps: 1 … `num_train_timesteps`.
        /// - Returns: A new ``UniPCMultistepScheduler``.
        /// - Throws: ``SchedulerError`` for a bad step count or configuration.
        public func makeScheduler(steps: Int) throws(SchedulerError) -> any Scheduler {
            try UniPCMultistepScheduler(configuration: self, steps: steps)
        }

        /// Makes a UniPC scheduler that runs the last `Int(steps × strength)` of `steps` steps.
        /// - Parameters:
        ///   - steps: 1 … `num_train_timesteps`.
        ///   - strength: 0…1.
        /// - Returns: A new ``UniPCMultistepScheduler``.
        /// - Throws: ``SchedulerError`` for a bad step count, strength or configuration.
        public func makeScheduler(steps: Int, strength: Double) throws(SchedulerError) -> any Scheduler {
            try validateStepCount(steps, limit: training.numTrainTimesteps, scheduler: name)
            return try UniPCMultistepScheduler(configuration: self, steps: steps,
                                               skippedSteps: ImageToImage.skippedSteps(steps: steps, strength: strength))
        }
    }
}
