extension DPMSolverMultistepScheduler {
    /// DPM-Solver's variant (`algorithm_type`).
    public enum Algorithm: String, Sendable, CaseIterable, Codable {
        /// DPM-Solver++, on data predictions (the "DPM++ 2M" sampler).
        case dpmSolverPlusPlus = "dpmsolver++"
        /// The SDE variant of DPM-Solver++, which adds noise at each step ("DPM++ 2M SDE").
        case sdeDPMSolverPlusPlus = "sde-dpmsolver++"
    }

    /// The second-order update (`solver_type`).
    public enum SolverType: String, Sendable, CaseIterable, Codable {
        /// The midpoint form (the default).
        case midpoint
        /// Heun's form.
        case heun
    }

    /// The options of ``DPMSolverMultistepScheduler``, with diffusers' `DPMSolverMultistepScheduler`
    /// defaults.
    public struct Configuration: SchedulerConfiguration, Equatable {
        /// The diffusers class this configuration corresponds to.
        public static let className = "DPMSolverMultistepScheduler"
        /// The training noise schedule (default: linear betas 0.0001…0.02 over 1000 steps).
        public var training: TrainingSchedule
        /// The multistep order, 1…3 (default: 2).
        public var solverOrder: Int
        /// What the model predicts (default: epsilon).
        public var predictionType: PredictionType
        /// The solver variant (default: dpmsolver++).
        public var algorithm: Algorithm
        /// The second-order update (default: midpoint).
        public var solverType: SolverType
        /// Lower the order for the last steps of schedules shorter than 15 steps (default: true).
        public var lowerOrderFinal: Bool
        /// Take a first-order final step whatever the schedule (default: false).
        public var eulerAtFinal: Bool
        /// Space sigmas as Karras et al. (default: false).
        public var useKarrasSigmas: Bool
        /// The sigma after the last step (default: zero).
        public var finalSigmas: FinalSigmas
        /// Drop training timesteps whose log-SNR λ is below this (default: −∞, none).
        public var lambdaMinClipped: Double
        /// How inference timesteps are spaced (default: linspace).
        public var timestepSpacing: TimestepSpacing
        /// Added to leading timesteps (default: 0).
        public var stepsOffset: Int

        /// Creates a configuration; every default is diffusers'.
        /// - Parameters:
        ///   - training: The training noise schedule.
        ///   - solverOrder: The multistep order, 1…3.
        ///   - predictionType: What the model predicts.
        ///   - algorithm: The solver variant.
        ///   - solverType: The second-order update.
        ///   - lowerOrderFinal: Lower the order at the end of short schedules.
        ///   - eulerAtFinal: First-order final step.
        ///   - useKarrasSigmas: Karras sigma spacing.
        ///   - finalSigmas: The sigma after the last step.
        ///   - lambdaMinClipped: The smallest log-SNR kept.
        ///   - timestepSpacing: How inference timesteps are spaced.
        ///   - stepsOffset: Added to leading timesteps.
        public init(training: TrainingSchedule = TrainingSchedule(), solverOrder: Int = 2,
                    predictionType: PredictionType = .epsilon, algorithm: Algorithm = .dpmSolverPlusPlus,
                    solverType: SolverType = .midpoint, lowerOrderFinal: Bool = true, eulerAtFinal: Bool = false,
                    useKarrasSigmas: Bool = false, finalSigmas: FinalSigmas = .zero,
                    lambdaMinClipped: Double = -.infinity, timestepSpacing: TimestepSpacing = .linspace,
                    stepsOffset: Int = 0) {
            self.training = training
            self.solverOrder = solverOrder
            self.predictionType = predictionType
            self.algorithm = algorithm
            self.solverType = solverType
            self.lowerOrderFinal = lowerOrderFinal
            self.eulerAtFinal = eulerAtFinal
            self.useKarrasSigmas = useKarrasSigmas
            self.finalSigmas = finalSigmas
            self.lambdaMinClipped = lambdaMinClipped
            self.timestepSpacing = timestepSpacing
            self.stepsOffset = stepsOffset
        }

        /// Reads the keys `DPMSolverMultistepScheduler` knows; absent keys take its defaults, other
        /// keys are ignored. Like diffusers, `algorithm_type` "deis" means dpmsolver++ and
        /// `solver_type` "logrho" / "bh1" / "bh2" mean midpoint.
        /// - Parameter config: The decoded `scheduler_config.json`, with any overrides applied.
        /// - Throws: ``SchedulerError`` naming a key whose value is not supported.
        public init(_ config: DiffusersSchedulerConfig) throws(SchedulerError) {
            let reader = OptionReader(config: config, scheduler: Self.className)
            try reader.rejectUnsupportedCommonOptions()
            for (value, key) in [(config.useExponentialSigmas, "use_exponential_sigmas"), (config.useBetaSigmas, "use_beta_sigmas"),
                                 (config.useLuLambdas, "use_lu_lambdas"), (config.useFlowSigmas, "use_flow_sigmas"),
                                 (config.useDynamicShifting, "use_dynamic_shifting")] {
                try reader.requireOff(value, key: key)
            }
            if let variance = config.varianceType {
                throw .unsupportedOption(scheduler: Self.className, key: "variance_type", value: "\"\(variance)\"", allowed: ["null"])
            }
            let algorithmName = config.algorithmType == "deis" ? Algorithm.dpmSolverPlusPlus.rawValue : config.algorithmType
            let solverName = ["logrho", "bh1", "bh2"].contains(config.solverType ?? "") ? SolverType.midpoint.rawValue : config.solverType
            self.init(training: try reader.trainingSchedule(defaults: TrainingSchedule()),
                      solverOrder: config.solverOrder ?? 2,
                      predictionType: try reader.choice(config.predictionType, key: "prediction_type", default: .epsilon),
                      algorithm: try reader.choice(algorithmName, key: "algorithm_type", default: .dpmSolverPlusPlus),
                      solverType: try reader.choice(solverName, key: "solver_type", default: .midpoint),
                      lowerOrderFinal: config.lowerOrderFinal ?? true,
                      eulerAtFinal: config.eulerAtFinal ?? false,
                      useKarrasSigmas: config.useKarrasSigmas ?? false,
                      finalSigmas: try reader.choice(config.finalSigmasType, key: "final_sigmas_type", default: .zero),
                      lambdaMinClipped: config.lambdaMinClipped ?? -.infinity,
                      timestepSpacing: try reader.choice(config.timestepSpacing, key: "timestep_spacing", default: .linspace),
                      stepsOffset: config.stepsOffset ?? 0)
            if config.algorithmType == "deis" && finalSigmas == .zero {
                // diffusers checks the name as written, before mapping it to dpmsolver++.
                throw .invalidOption(scheduler: Self.className, key: "algorithm_type", value: "\"deis\"",
                                     reason: "diffusers accepts it only with final_sigmas_type \"sigma_min\"")
            }
            try validate()
        }

        func validate() throws(SchedulerError) {
            guard (1...3).contains(solverOrder) else {
                throw .unsupportedOption(scheduler: Self.className, key: "solver_order", value: "\(solverOrder)", allowed: ["1", "2", "3"])
            }
        }

        /// "DPMSolverMultistepScheduler".
        public var name: String { Self.className }

        /// Makes a DPM-Solver scheduler for `steps` steps.
        /// - Parameter steps: 1 … `num_train_timesteps`.
        /// - Returns: A new ``DPMSolverMultistepScheduler``.
        /// - Throws: ``SchedulerError`` for a bad step count or configuration.
        public func makeScheduler(steps: Int) throws(SchedulerError) -> any Scheduler {
            try DPMSolverMultistepScheduler(configuration: self, steps: steps)
        }

        /// Makes a DPM-Solver scheduler that runs the last `Int(steps × strength)` of `steps` steps.
        /// - Parameters:
        ///   - steps: 1 … `num_train_timesteps`.
        ///   - strength: 0…1.
        /// - Returns: A new ``DPMSolverMultistepScheduler``.
        /// - Throws: ``SchedulerError`` for a bad step count, strength or configuration.
        public func makeScheduler(steps: Int, strength: Double) throws(SchedulerError) -> any Scheduler {
            try validateStepCount(steps, limit: training.numTrainTimesteps, scheduler: name)
            return try DPMSolverMultistepScheduler(configuration: self, steps: steps,
                                                   skippedSteps: ImageToImage.skippedSteps(steps: steps, strength: strength))
        }
    }
}
