import Foundation
import Schedulers
import Testing
import TensorModule

/// Scheduler configurations that used to trap or exhaust memory, found by fuzzing
/// (`Tests/Fuzz`, target FuzzConfigs); each is now a typed error.
@Suite("Malformed input: scheduler configurations")
struct MalformedInputSchedulersTests {
    static func decode(_ json: String) throws -> DiffusersSchedulerConfig {
        try DiffusersSchedulerConfig(jsonData: Data(json.utf8))
    }

    @Test("Invalid UTF-8 in an unquoted key is refused before Foundation's JSON5 scanner traps on it")
    func invalidUTF8() {
        var bytes = Array(#"{"_class_name": "DDIMScheduler", "#.utf8)
        bytes += [0xFF, 0xFF, 0xFF]
        bytes += Array(#"key": 1}"#.utf8)
        #expect(throws: SchedulerError.invalidConfigFile(path: "scheduler_config.json", reason: "not UTF-8 text")) {
            try DiffusersSchedulerConfig(jsonData: Data(bytes))
        }
    }

    @Test("A zero beta under Karras sigmas is an error naming use_karras_sigmas, not a NaN cast to Int",
          arguments: [SchedulerName.dpmSolver2MKarras, .uniPC])
    func zeroBetaKarras(_ name: SchedulerName) throws {
        let options = try Self.decode(#"{"num_train_timesteps": 4, "trained_betas": [0.0, 0.2, 0.3, 0.4], "use_karras_sigmas": true}"#)
        let configuration = try name.configuration(from: options)
        #expect {
            _ = try configuration.makeScheduler(steps: 3)
        } throws: { error in
            guard case .invalidOption(_, let key, _, _)? = error as? SchedulerError else { return false }
            return key == "use_karras_sigmas"
        }
    }

    /// The fuzzer's input: every training timestep is clipped, the schedule is then empty for some
    /// schedulers and step counts (it trapped in the step cursor). Each combination either builds a
    /// schedule with timesteps or fails with the typed error.
    @Test("A lambda_min_clipped that clips every timestep is a typed error, not a trap on an empty schedule")
    func lambdaClipsEverything() throws {
        let options = try Self.decode(#"{"_class_name": "DPMSolverMultistepScheduler", "use_karras_sigmas": true, "timestep_spacing": "trailing", "steps_offset": 1, "lambda_min_clipped": Infinity}"#)
        var emptyErrors = 0
        // Every scheduler and step count the fuzz target tries (one of them trapped).
        for name in SchedulerName.allCases {
            guard let configuration = try? name.configuration(from: options) else { continue }
            for (steps, strength) in [(1, 1.0), (4, 1.0), (25, 0.5)] {
                do {
                    let scheduler = try configuration.makeScheduler(steps: steps, strength: strength)
                    #expect(!scheduler.timesteps.isEmpty)
                } catch let error as SchedulerError {
                    if case .emptySchedule(let scheduler, _, _) = error, scheduler == "DPMSolverMultistepScheduler" { emptyErrors += 1 }
                    #expect(!error.description.contains("\n"))
                }
            }
        }
        #expect(emptyErrors > 0, "the fuzzer's input must reach the empty-schedule check")
    }

    @Test("A non-finite sigma_min under Karras sigmas is a typed error")
    func nonFiniteSigmaMin() throws {
        let options = try Self.decode(#"{"use_karras_sigmas": true, "sigma_min": NaN}"#)
        let configuration = try SchedulerName.uniPC.configuration(from: options)
        #expect(throws: SchedulerError.self) { try configuration.makeScheduler(steps: 4) }
    }

    @Test("An absurd steps_offset gives timesteps outside the schedule, reported as such")
    func hugeStepsOffset() throws {
        let options = try Self.decode(#"{"steps_offset": 9223372036854775807}"#)
        let ddim = try SchedulerName.ddim.configuration(from: options)
        #expect {
            _ = try ddim.makeScheduler(steps: 10)
        } throws: { error in
            guard case .timestepOutOfRange? = error as? SchedulerError else { return false }
            return true
        }
        // Every scheduler either refuses the offset or builds a schedule: none traps.
        for name in SchedulerName.allCases {
            guard let configuration = try? name.configuration(from: options) else { continue }
            do { _ = try configuration.makeScheduler(steps: 10) } catch { #expect(error is SchedulerError, "\(name)") }
        }
    }

    @Test("PNDM with Runge–Kutta steps and fewer than four training timesteps is an error, not an empty range")
    func pndmShortTraining() throws {
        let configuration = try Self.decode(#"{"_class_name": "PNDMScheduler", "num_train_timesteps": 2}"#).modelConfiguration()
        #expect {
            _ = try configuration.makeScheduler(steps: 1)
        } throws: { error in
            guard case .invalidOption(_, let key, let value, _)? = error as? SchedulerError else { return false }
            return key == "num_train_timesteps" && value == "2"
        }
    }

    @Test("num_train_timesteps is bounded, so a config cannot make the schedule allocate gigabytes",
          arguments: SchedulerName.allCases)
    func hugeTrainingSchedule(_ name: SchedulerName) throws {
        let options = try Self.decode(#"{"num_train_timesteps": 4000000000}"#)
        #expect {
            _ = try name.configuration(from: options).makeScheduler(steps: 4)
        } throws: { error in
            guard case .invalidOption(_, let key, _, _)? = error as? SchedulerError else { return false }
            return key == "num_train_timesteps"
        }
    }

    @Test("A configuration file that is not a JSON object is an error naming the file")
    func notAnObject() throws {
        let path = "/m/scheduler/scheduler_config.json"
        for json in ["[]", "42", "\"DDIMScheduler\"", "", "{\"_class_name\": "] {
            #expect("\(json)") {
                try DiffusersSchedulerConfig(jsonData: Data(json.utf8), path: path)
            } throws: { error in
                guard case .invalidConfigFile(let reported, _)? = error as? SchedulerError else { return false }
                return reported == path
            }
        }
    }
}
