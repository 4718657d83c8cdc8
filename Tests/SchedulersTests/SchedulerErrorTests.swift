import Foundation
import Schedulers
import Testing
import _TestSupport

/// Every failure a user can cause is a typed error naming what is wrong, never a trap.
@Suite("Scheduler errors")
struct SchedulerErrorTests {
    static func decode(_ json: String) throws -> DiffusersSchedulerConfig {
        try DiffusersSchedulerConfig(jsonData: Data(json.utf8))
    }

    @Test("Unknown names and classes list what exists")
    func unknownNames() throws {
        #expect(throws: SchedulerError.unknownSchedulerName("dpm++3m", available: SchedulerName.allCases.map(\.rawValue))) {
            try SchedulerName(named: "dpm++3m")
        }
        let kdpm = try Self.decode(#"{"_class_name": "KDPM2DiscreteScheduler"}"#)
        #expect(throws: SchedulerError.unknownSchedulerClass("KDPM2DiscreteScheduler", supported: DiffusersSchedulerConfig.supportedClassNames)) {
            try kdpm.configuration(named: nil)
        }
        #expect(throws: SchedulerError.missingClassName) { try DiffusersSchedulerConfig().modelConfiguration() }
        #expect("\(SchedulerError.unknownSchedulerName("x", available: ["ddim", "euler"]))".contains("ddim, euler"))
    }

    @Test("Unsupported option values name the key and the allowed values")
    func unsupportedOptions() throws {
        let sigmoid = try Self.decode(#"{"beta_schedule": "sigmoid"}"#)
        #expect(throws: SchedulerError.unsupportedOption(scheduler: "DDPMScheduler", key: "beta_schedule", value: "\"sigmoid\"",
                                                         allowed: ["\"linear\"", "\"scaled_linear\"", "\"squaredcos_cap_v2\""])) {
            try SchedulerName.ddpm.configuration(from: sigmoid)
        }
        let sample = try Self.decode(#"{"prediction_type": "sample"}"#)
        #expect(throws: SchedulerError.unsupportedOption(scheduler: "EulerAncestralDiscreteScheduler", key: "prediction_type",
                                                         value: "\"sample\"", allowed: ["\"epsilon\"", "\"v_prediction\""])) {
            try SchedulerName.eulerAncestral.configuration(from: sample)
        }
        #expect(throws: SchedulerError.self) { try SchedulerName.pndm.configuration(from: sample) }
        for json in [#"{"thresholding": true}"#, #"{"rescale_betas_zero_snr": true}"#, #"{"timestep_spacing": "even"}"#,
                     #"{"prediction_type": "flow_prediction"}"#] {
            let config = try Self.decode(json)
            #expect(throws: SchedulerError.self, "\(json)") { try SchedulerName.ddim.configuration(from: config) }
        }
        for json in [#"{"use_lu_lambdas": true}"#, #"{"variance_type": "learned_range"}"#, #"{"algorithm_type": "dpmsolver"}"#,
                     #"{"solver_order": 4}"#, #"{"use_exponential_sigmas": true}"#] {
            var config = try Self.decode(json)
            config.className = "DPMSolverMultistepScheduler"
            #expect(throws: SchedulerError.self, "\(json)") { try config.modelConfiguration() }
        }
        for json in [#"{"interpolation_type": "log_linear"}"#, #"{"timestep_type": "continuous"}"#] {
            let config = try Self.decode(json)
            #expect(throws: SchedulerError.self, "\(json)") { try SchedulerName.euler.configuration(from: config) }
        }
        for json in [#"{"solver_type": "bh1"}"#, #"{"predict_x0": false}"#, #"{"lower_order_final": false}"#] {
            let config = try Self.decode(json)
            #expect(throws: SchedulerError.self, "\(json)") { try SchedulerName.uniPC.configuration(from: config) }
        }
        let description = "\(SchedulerError.unsupportedOption(scheduler: "DDIMScheduler", key: "thresholding", value: "true", allowed: ["false"]))"
        #expect(description.contains("thresholding") && description.contains("DDIMScheduler") && description.contains("false"))
    }

    @Test("Invalid values and malformed files are errors naming the key")
    func invalidValues() throws {
        #expect {
            try Self.decode(#"{"steps_offset": "one"}"#)
        } throws: { error in
            guard case .invalidConfigFile(_, let reason) = error as? SchedulerError else { return false }
            return reason.contains("steps_offset")
        }
        #expect(throws: SchedulerError.self) { try Self.decode("{not json") }
        #expect(throws: SchedulerError.self) { try DiffusersSchedulerConfig(contentsOf: URL(fileURLWithPath: "/nonexistent/scheduler_config.json")) }
        let shortBetas = try Self.decode(#"{"trained_betas": [0.1, 0.2], "num_train_timesteps": 1000}"#)
        #expect(throws: SchedulerError.self) { try SchedulerName.ddim.configuration(from: shortBetas) }
        #expect(throws: SchedulerError.self) { try SchedulerName.ddim.configuration(from: Self.decode(#"{"beta_end": 1.5}"#)) }
        #expect(throws: SchedulerError.self) { try SchedulerName.euler.configuration(from: Self.decode(#"{"num_train_timesteps": 0}"#)) }
        // Leading spacing with an offset that runs past the training schedule (diffusers: IndexError).
        let offset = try SchedulerName.ddim.configuration(from: Self.decode(#"{"steps_offset": 1}"#))
        #expect(throws: SchedulerError.timestepOutOfRange(scheduler: "DDIMScheduler", timestep: 1000, numTrainTimesteps: 1000)) {
            try offset.makeScheduler(steps: 1000)
        }
        let lcm = try SchedulerName.lcm.configuration(from: Self.decode(#"{"original_inference_steps": 2000}"#))
        #expect(throws: SchedulerError.self) { try lcm.makeScheduler(steps: 4) }
    }

    @Test("Step counts out of range are rejected", arguments: SchedulerName.allCases)
    func stepCounts(_ name: SchedulerName) throws {
        let configuration = try name.configuration()
        for steps in [0, -3, 1001] {
            #expect(throws: SchedulerError.self, "\(steps) steps") { try configuration.makeScheduler(steps: steps) }
            #expect(throws: SchedulerError.self, "\(steps) steps") { try configuration.makeScheduler(steps: steps, strength: 0.5) }
        }
    }

    @Test("Scheduler-specific step limits")
    func specificLimits() throws {
        let prk = PNDMScheduler.Configuration(skipPRKSteps: false)
        #expect(throws: SchedulerError.invalidStepCount(scheduler: "PNDMScheduler", steps: 3, allowed: 4...1000)) {
            try prk.makeScheduler(steps: 3)
        }
        #expect(try prk.makeScheduler(steps: 4).timesteps.count == 13)
        let lcm = LCMScheduler.Configuration()
        #expect(throws: SchedulerError.invalidStepCount(scheduler: "LCMScheduler", steps: 51, allowed: 1...50)) {
            try lcm.makeScheduler(steps: 51)
        }
        #expect(try lcm.makeScheduler(steps: 50).timesteps.count == 50)
    }

    @Test("Skipping all steps, or a negative number, is rejected")
    func skippedSteps() throws {
        #expect(throws: SchedulerError.invalidSkippedSteps(scheduler: "HeunDiscreteScheduler", skippedSteps: 10, steps: 10)) {
            try HeunDiscreteScheduler(configuration: .init(), steps: 10, skippedSteps: 10)
        }
        #expect(throws: SchedulerError.self) { try DDIMScheduler(configuration: .init(), steps: 10, skippedSteps: -1) }
        #expect(try PNDMScheduler(configuration: .init(skipPRKSteps: true), steps: 10, skippedSteps: 9).timesteps.count == 2)
        #expect(throws: SchedulerError.self) {
            try EulerDiscreteScheduler(configuration: .init(training: TrainingSchedule(numTrainTimesteps: 1), useKarrasSigmas: true), steps: 1)
        }
    }

    @Test("Strengths outside 0…1 or leaving no step are rejected")
    func strengths() throws {
        let configuration = try SchedulerName.euler.configuration()
        #expect(throws: SchedulerError.invalidStrength(1.5)) { try configuration.makeScheduler(steps: 10, strength: 1.5) }
        #expect(throws: SchedulerError.invalidStrength(-0.1)) { try configuration.makeScheduler(steps: 10, strength: -0.1) }
        #expect(throws: SchedulerError.noStepsForStrength(steps: 10, strength: 0.05)) {
            try configuration.makeScheduler(steps: 10, strength: 0.05)
        }
        // Python's int(steps * strength): 0.29 × 100 = 28.999… keeps 28 steps.
        #expect(try ImageToImage.skippedSteps(steps: 100, strength: 0.29) == 72)
        #expect(try configuration.makeScheduler(steps: 100, strength: 0.29).timesteps.count == 28)
        // Heun: of its 2 × 10 − 1 model calls, those of the last 5 steps (2 × 5 − 1).
        #expect(try SchedulerName.heun.configuration().makeScheduler(steps: 10, strength: 0.5).timesteps.count == 9)
    }

    @Test("Out-of-order timesteps, a finished schedule and mismatched shapes throw")
    func misuse() throws {
        var scheduler = try SchedulerName.dpmSolver2M.configuration().makeScheduler(steps: 2)
        let sample = SeededNormalSource(seed: 1).normal(shape: [1, 4, 8, 8])
        let random = SeededNormalSource(seed: 2)
        let (first, second) = (scheduler.timesteps[0], scheduler.timesteps[1])
        #expect(throws: SchedulerError.unexpectedTimestep(scheduler: "DPMSolverMultistepScheduler", expected: first, actual: second, stepIndex: 0)) {
            try scheduler.step(modelOutput: sample, timestep: second, sample: sample, random: random)
        }
        #expect(throws: SchedulerError.shapeMismatch(operation: "DPMSolverMultistepScheduler.step", expected: [1, 4, 8, 8], actual: [1, 4, 8, 9])) {
            try scheduler.step(modelOutput: Tensor.zeros([1, 4, 8, 9]), timestep: first, sample: sample, random: random)
        }
        #expect(throws: SchedulerError.self) { try scheduler.scaleModelInput(sample, timestep: second) }
        _ = try scheduler.step(modelOutput: sample, timestep: first, sample: sample, random: random)
        _ = try scheduler.step(modelOutput: sample, timestep: second, sample: sample, random: random)
        #expect(throws: SchedulerError.scheduleFinished(scheduler: "DPMSolverMultistepScheduler", timesteps: 2)) {
            try scheduler.step(modelOutput: sample, timestep: second, sample: sample, random: random)
        }
        let euler = try SchedulerName.euler.configuration().makeScheduler(steps: 4)
        #expect(throws: SchedulerError.timestepNotInSchedule(scheduler: "EulerDiscreteScheduler", timestep: 3.5)) {
            try euler.addNoise(to: sample, noise: sample, timestep: 3.5)
        }
        let ddim = try SchedulerName.ddim.configuration().makeScheduler(steps: 4)
        #expect(throws: SchedulerError.self) { try ddim.addNoise(to: sample, noise: sample, timestep: 1000) }
        #expect(throws: SchedulerError.self) { try ddim.addNoise(to: sample, noise: sample, timestep: 2.5) }
    }

    @Test("A random source that returns the wrong shape is an error")
    func badRandomSource() throws {
        final class WrongShape: RandomSource {
            func normal(shape: [Int]) -> Tensor { Tensor.zeros([1]) }
        }
        var scheduler = try SchedulerName.eulerAncestral.configuration().makeScheduler(steps: 2)
        let sample = Tensor.zeros([1, 4, 8, 8])
        #expect(throws: SchedulerError.self) {
            try scheduler.step(modelOutput: sample, timestep: scheduler.timesteps[0], sample: sample, random: WrongShape())
        }
    }
}
