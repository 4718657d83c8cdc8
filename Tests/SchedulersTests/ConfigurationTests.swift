import Foundation
import Schedulers
import Testing

/// Decoding `scheduler_config.json` and diffusers' `from_config` rule: known keys taken, unknown
/// keys ignored, absent keys at each class's own default, options on top.
@Suite("Scheduler configuration")
struct ConfigurationTests {
    /// `stable-diffusion-v1-5/scheduler/scheduler_config.json` as published.
    static let sd15JSON = """
    {
      "_class_name": "PNDMScheduler",
      "_diffusers_version": "0.6.0",
      "beta_end": 0.012,
      "beta_schedule": "scaled_linear",
      "beta_start": 0.00085,
      "num_train_timesteps": 1000,
      "set_alpha_to_one": false,
      "skip_prk_steps": true,
      "steps_offset": 1,
      "trained_betas": null,
      "clip_sample": false
    }
    """

    static func decode(_ json: String) throws -> DiffusersSchedulerConfig {
        try DiffusersSchedulerConfig(jsonData: Data(json.utf8))
    }

    @Test("SD 1.5's file decodes to what it says")
    func decodesSD15() throws {
        let config = try Self.decode(Self.sd15JSON)
        #expect(config.className == "PNDMScheduler")
        #expect(config.betaSchedule == "scaled_linear")
        #expect(config.betaStart == 0.00085)
        #expect(config.stepsOffset == 1)
        #expect(config.skipPRKSteps == true)
        #expect(config.setAlphaToOne == false)
        #expect(config.trainedBetas == nil)
        #expect(config.timestepSpacing == nil)
        #expect(config.predictionType == nil)
    }

    @Test("Without a name, the model's own class is used with all of its keys")
    func modelClass() throws {
        let configuration = try #require(try Self.decode(Self.sd15JSON).configuration(named: nil) as? PNDMScheduler.Configuration)
        #expect(configuration.skipPRKSteps)
        #expect(configuration.stepsOffset == 1)
        #expect(configuration.training == .stableDiffusion)
        #expect(configuration.timestepSpacing == .leading)
    }

    @Test("Absent keys take the chosen class's own defaults")
    func perClassDefaults() throws {
        let sd15 = try Self.decode(Self.sd15JSON)
        let euler = try #require(try SchedulerName.euler.configuration(from: sd15) as? EulerDiscreteScheduler.Configuration)
        #expect(euler.timestepSpacing == .linspace)  // absent: Euler's default, not PNDM's "leading"
        #expect(euler.stepsOffset == 1)
        #expect(euler.training == .stableDiffusion)
        let ddim = try #require(try SchedulerName.ddim.configuration(from: sd15) as? DDIMScheduler.Configuration)
        #expect(ddim.timestepSpacing == .leading)
        #expect(ddim.clipSample == false)      // present in the file
        #expect(ddim.setAlphaToOne == false)   // present in the file (DDIM's own default is true)
        let ddpm = try #require(try SchedulerName.ddpm.configuration(from: DiffusersSchedulerConfig()) as? DDPMScheduler.Configuration)
        #expect(ddpm.clipSample == true)
        #expect(ddpm.training == TrainingSchedule())
        let heun = try #require(try SchedulerName.heun.configuration(from: DiffusersSchedulerConfig()) as? HeunDiscreteScheduler.Configuration)
        #expect(heun.training == TrainingSchedule(betaStart: 0.00085, betaEnd: 0.012, betaSchedule: .linear))
        let lcm = try #require(try SchedulerName.lcm.configuration(from: DiffusersSchedulerConfig()) as? LCMScheduler.Configuration)
        #expect(lcm.training == .stableDiffusion)
        #expect(lcm.originalInferenceSteps == 50)
        #expect(lcm.setAlphaToOne)
    }

    @Test("Unknown keys and keys of other classes are ignored")
    func unknownKeysIgnored() throws {
        let config = try Self.decode("""
        {"_class_name": "DDIMScheduler", "some_future_key": [1, {"x": 2}], "sample_max_value": 1.0,
         "use_karras_sigmas": true, "solver_order": 3}
        """)
        let ddim = try #require(try config.modelConfiguration() as? DDIMScheduler.Configuration)
        #expect(ddim == DDIMScheduler.Configuration())
    }

    @Test("Keys listed in _use_default_values count as absent")
    func useDefaultValues() throws {
        let config = try Self.decode("""
        {"_class_name": "EulerDiscreteScheduler", "timestep_spacing": "leading", "steps_offset": 1,
         "_use_default_values": ["timestep_spacing"]}
        """)
        #expect(config.timestepSpacing == nil)
        #expect(config.stepsOffset == 1)
    }

    @Test("Python's -Infinity (lambda_min_clipped) decodes")
    func pythonInfinity() throws {
        let config = try Self.decode("""
        {"_class_name": "DPMSolverMultistepScheduler", "lambda_min_clipped": -Infinity, "solver_order": 2}
        """)
        #expect(config.lambdaMinClipped == -.infinity)
        let dpm = try #require(try config.modelConfiguration() as? DPMSolverMultistepScheduler.Configuration)
        #expect(dpm.lambdaMinClipped == -.infinity)
        #expect(try dpm.makeScheduler(steps: 20).timesteps.count == 20)
    }

    @Test("Options override the model's keys; the names set their own")
    func overrides() throws {
        var sd15 = try Self.decode(Self.sd15JSON)
        var options = DiffusersSchedulerConfig()
        options.timestepSpacing = "trailing"
        options.useKarrasSigmas = true
        sd15 = sd15.overriding(with: options)
        #expect(sd15.timestepSpacing == "trailing")
        #expect(sd15.stepsOffset == 1)
        let euler = try #require(try SchedulerName.euler.configuration(from: sd15) as? EulerDiscreteScheduler.Configuration)
        #expect(euler.useKarrasSigmas)
        #expect(euler.timestepSpacing == .trailing)

        let karras = try #require(try SchedulerName.dpmSolver2MKarras.configuration() as? DPMSolverMultistepScheduler.Configuration)
        #expect(karras.useKarrasSigmas && karras.solverOrder == 2 && karras.algorithm == .dpmSolverPlusPlus)
        var sde = DiffusersSchedulerConfig()
        sde.algorithmType = "sde-dpmsolver++"
        sde.solverOrder = 3
        sde.useKarrasSigmas = true
        let plain = try #require(try SchedulerName.dpmSolver2M.configuration(from: sde) as? DPMSolverMultistepScheduler.Configuration)
        #expect(!plain.useKarrasSigmas && plain.solverOrder == 2 && plain.algorithm == .dpmSolverPlusPlus)
    }

    @Test("Every name builds from SD 1.5's and an empty configuration, and names its diffusers class")
    func everyName() throws {
        for name in SchedulerName.allCases {
            #expect(try SchedulerName(named: name.rawValue) == name)
            for config in [try Self.decode(Self.sd15JSON), DiffusersSchedulerConfig()] {
                let configuration = try name.configuration(from: config)
                #expect(configuration.name == name.diffusersClassName)
                #expect(try configuration.makeScheduler(steps: 10).timesteps.isEmpty == false)
            }
        }
        #expect(Set(SchedulerName.allCases.map(\.diffusersClassName)) == Set(DiffusersSchedulerConfig.supportedClassNames))
    }

    @Test("Encoding writes diffusers' keys and round-trips")
    func roundTrip() throws {
        let config = try Self.decode(Self.sd15JSON)
        let encoded = try JSONEncoder().encode(config)
        let text = String(decoding: encoded, as: UTF8.self)
        #expect(text.contains("\"_class_name\":\"PNDMScheduler\""))
        #expect(text.contains("\"skip_prk_steps\":true"))
        #expect(try DiffusersSchedulerConfig(jsonData: encoded) == config)
    }

    @Test("A configuration file is read from disk")
    func readsFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("scheduler-config-\(UUID().uuidString).json")
        try Data(Self.sd15JSON.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(try DiffusersSchedulerConfig(contentsOf: url) == Self.decode(Self.sd15JSON))
    }
}
