import Schedulers
import Testing
import _TestSupport

/// The conformance checker on every built-in scheduler, on option variants, on a scheduler written
/// outside the library, and on broken schedulers it must catch.
@Suite("Scheduler conformance")
struct ConformanceTests {
    /// SD 1.5's scheduler configuration (PNDM, scaled-linear betas, steps_offset 1).
    static let sd15: DiffusersSchedulerConfig = {
        var config = DiffusersSchedulerConfig()
        config.className = "PNDMScheduler"
        config.betaStart = 0.00085
        config.betaEnd = 0.012
        config.betaSchedule = "scaled_linear"
        config.numTrainTimesteps = 1000
        config.setAlphaToOne = false
        config.skipPRKSteps = true
        config.stepsOffset = 1
        config.clipSample = false
        return config
    }()

    /// SD 2.1's (DDIM, v-prediction).
    static let sd21: DiffusersSchedulerConfig = {
        var config = sd15
        config.className = "DDIMScheduler"
        config.predictionType = "v_prediction"
        return config
    }()

    static func expectedCount(_ configuration: any SchedulerConfiguration) -> (Int) -> Int {
        switch configuration {
        case is HeunDiscreteScheduler.Configuration: return { 2 * $0 - 1 }
        // PLMS repeats its second timestep (none with 1 step); the 3 Runge–Kutta steps take 4 model calls each.
        case let pndm as PNDMScheduler.Configuration: return pndm.skipPRKSteps ? { $0 == 1 ? 1 : $0 + 1 } : { $0 + 9 }
        default: return { $0 }
        }
    }

    @Test("Every built-in scheduler conforms with SD 1.5's and SD 2.1's configurations", arguments: SchedulerName.allCases)
    func builtIn(_ name: SchedulerName) throws {
        for config in [Self.sd15, Self.sd21] {
            let configuration = try name.configuration(from: config)
            let failures = SchedulerConformance.check(configuration, expectedTimestepCount: Self.expectedCount(configuration))
            #expect(failures.isEmpty, "\(failures)")
        }
    }

    static let variants: [any SchedulerConfiguration & Sendable] = [
        PNDMScheduler.Configuration(training: .stableDiffusion, skipPRKSteps: false),
        DDIMScheduler.Configuration(training: .stableDiffusion, timestepSpacing: .trailing, eta: 1),
        DDPMScheduler.Configuration(training: .stableDiffusion, timestepSpacing: .linspace, varianceType: .fixedSmallLog),
        EulerDiscreteScheduler.Configuration(training: .stableDiffusion, timestepSpacing: .trailing, useKarrasSigmas: true),
        DPMSolverMultistepScheduler.Configuration(training: .stableDiffusion, solverOrder: 3, algorithm: .sdeDPMSolverPlusPlus),
        DPMSolverMultistepScheduler.Configuration(training: .stableDiffusion, solverType: .heun, finalSigmas: .sigmaMin),
        UniPCMultistepScheduler.Configuration(training: .stableDiffusion, solverOrder: 3, useKarrasSigmas: true),
        UniPCMultistepScheduler.Configuration(training: .stableDiffusion, predictX0: false, solverType: .bh1, finalSigmas: .sigmaMin),
        LMSDiscreteScheduler.Configuration(training: TrainingSchedule(betaSchedule: .squaredCosCapV2), useKarrasSigmas: true),
        HeunDiscreteScheduler.Configuration(training: .stableDiffusion, timestepSpacing: .leading, useKarrasSigmas: true),
        LCMScheduler.Configuration(originalInferenceSteps: 25, clipSample: true),
    ]

    @Test("Option variants conform")
    func variants() {
        for configuration in Self.variants {
            let failures = SchedulerConformance.check(configuration, steps: [4, 10],
                                                      expectedTimestepCount: Self.expectedCount(configuration))
            #expect(failures.isEmpty, "\(failures)")
        }
    }

    @Test("A scheduler written outside the library conforms through the public protocols")
    func custom() throws {
        let configuration: any SchedulerConfiguration = QuadraticDDIMConfiguration()
        #expect(SchedulerConformance.check(configuration).isEmpty, "\(SchedulerConformance.check(configuration))")
        var scheduler = try configuration.makeScheduler(steps: 5)
        #expect(scheduler.timesteps == [999, 639, 360, 160, 40])
        let sample = SeededNormalSource(seed: 1).normal(shape: [1, 4, 8, 8])
        let output = try scheduler.step(modelOutput: sample, timestep: 999, sample: sample, random: SeededNormalSource(seed: 2))
        #expect(output.predictedOriginalSample != nil)
    }
}

/// Schedulers that break the contract, each in one way, so that the checker is shown to catch it.
@Suite("The conformance checker catches violations")
struct ConformanceCheckerTests {
    enum Flaw: String, CaseIterable, Sendable {
        case increasingTimesteps, acceptsAnyTimestep, sharedState, nondeterministic, wrongCount, trapsPastEnd, badImageToImage
    }

    /// State shared across every scheduler the flawed configuration makes (the bug the interleaving check exists for).
    final class SharedCounter: @unchecked Sendable { var value = 0 }

    struct FlawedConfiguration: SchedulerConfiguration {
        let flaw: Flaw
        let shared = SharedCounter()
        var name: String { "Flawed(\(flaw.rawValue))" }
        func makeScheduler(steps: Int) throws -> any Scheduler {
            guard steps >= 1 else { throw SchedulerError.invalidStepCount(scheduler: name, steps: steps, allowed: 1...1000) }
            return FlawedScheduler(flaw: flaw, steps: steps, shared: shared)
        }
        func makeScheduler(steps: Int, strength: Double) throws -> any Scheduler {
            guard flaw == .badImageToImage else { throw SchedulerError.imageToImageUnsupported(scheduler: name) }
            return try makeScheduler(steps: steps)  // ignores the strength
        }
    }

    struct FlawedScheduler: Scheduler {
        let flaw: Flaw
        let timesteps: [Double]
        let shared: SharedCounter
        var position = 0
        var initNoiseSigma: Float { 1 }

        init(flaw: Flaw, steps: Int, shared: SharedCounter) {
            self.flaw = flaw
            self.shared = shared
            let descending = (0..<steps).map { Double(999 - $0 * (999 / steps)) }
            switch flaw {
            case .increasingTimesteps: timesteps = descending.reversed()
            case .wrongCount: timesteps = descending + [0]
            default: timesteps = descending
            }
        }

        func scaleModelInput(_ sample: Tensor, timestep: Double) throws -> Tensor { sample }

        mutating func step(modelOutput: Tensor, timestep: Double, sample: Tensor, random: any RandomSource) throws -> SchedulerOutput {
            if position >= timesteps.count && flaw != .trapsPastEnd { throw SchedulerError.scheduleFinished(scheduler: "Flawed", timesteps: timesteps.count) }
            if flaw != .acceptsAnyTimestep && position < timesteps.count && timestep != timesteps[position] {
                throw SchedulerError.unexpectedTimestep(scheduler: "Flawed", expected: timesteps[position], actual: timestep, stepIndex: position)
            }
            guard modelOutput.shape == sample.shape else {
                throw SchedulerError.shapeMismatch(operation: "Flawed.step", expected: sample.shape, actual: modelOutput.shape)
            }
            position += 1
            shared.value += 1
            var weight: Float = 0.9
            if flaw == .sharedState { weight += Float(shared.value % 3) * 0.01 }
            if flaw == .nondeterministic { weight += Float.random(in: 0..<0.01) }
            return SchedulerOutput(nextSample: sample.scaledSum(weight, modelOutput, 0.05))
        }

        func addNoise(to original: Tensor, noise: Tensor, timestep: Double) throws -> Tensor {
            guard original.shape == noise.shape else {
                throw SchedulerError.shapeMismatch(operation: "Flawed.addNoise", expected: original.shape, actual: noise.shape)
            }
            return original + noise
        }
    }

    @Test("Each flaw is reported", arguments: Flaw.allCases)
    func reportsFlaw(_ flaw: Flaw) {
        let failures = SchedulerConformance.check(FlawedConfiguration(flaw: flaw))
        #expect(!failures.isEmpty, "\(flaw) went unnoticed")
    }

    @Test("A sound scheduler of the same shape passes")
    func soundPasses() {
        struct Sound: SchedulerConfiguration {
            var name: String { "Sound" }
            func makeScheduler(steps: Int) throws -> any Scheduler {
                guard steps >= 1 else { throw SchedulerError.invalidStepCount(scheduler: name, steps: steps, allowed: 1...1000) }
                return FlawedScheduler(flaw: .badImageToImage, steps: steps, shared: SharedCounter())
            }
        }
        #expect(SchedulerConformance.check(Sound()).isEmpty, "\(SchedulerConformance.check(Sound()))")
    }
}
