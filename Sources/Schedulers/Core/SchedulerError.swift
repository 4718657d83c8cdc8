/// Errors of the Schedulers module. Each message names the scheduler, the configuration key or
/// the argument at fault, and what would have been accepted.
public enum SchedulerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A scheduler name (as the CLI spells it) that no built-in scheduler has.
    case unknownSchedulerName(String, available: [String])
    /// A diffusers `_class_name` that no built-in scheduler implements.
    case unknownSchedulerClass(String, supported: [String])
    /// The configuration names no scheduler class and none was asked for.
    case missingClassName
    /// A configuration value this scheduler does not implement (diffusers may or may not).
    case unsupportedOption(scheduler: String, key: String, value: String, allowed: [String])
    /// A configuration value that is out of range or inconsistent with another one.
    case invalidOption(scheduler: String, key: String, value: String, reason: String)
    /// A step count the scheduler cannot produce a schedule for.
    case invalidStepCount(scheduler: String, steps: Int, allowed: ClosedRange<Int>)
    /// A number of leading steps to skip that leaves no step to run (or is negative).
    case invalidSkippedSteps(scheduler: String, skippedSteps: Int, steps: Int)
    /// An image-to-image strength outside 0…1.
    case invalidStrength(Double)
    /// The strength leaves no step to run: `Int(steps × strength)` is 0.
    case noStepsForStrength(steps: Int, strength: Double)
    /// The scheduler does not implement image-to-image.
    case imageToImageUnsupported(scheduler: String)
    /// A timestep the spacing options produce lies outside `0 ..< num_train_timesteps`.
    case timestepOutOfRange(scheduler: String, timestep: Int, numTrainTimesteps: Int)
    /// The model output and the sample differ in shape.
    case shapeMismatch(operation: String, expected: [Int], actual: [Int])
    /// `step` or `scaleModelInput` was called with a timestep other than the one due next.
    case unexpectedTimestep(scheduler: String, expected: Double, actual: Double, stepIndex: Int)
    /// `step` or `scaleModelInput` was called after the last timestep.
    case scheduleFinished(scheduler: String, timesteps: Int)
    /// `addNoise` was given a timestep that is not in the schedule.
    case timestepNotInSchedule(scheduler: String, timestep: Double)
    /// The configuration leaves no timestep to run from the requested start (for example a
    /// `lambda_min_clipped` that clips every training timestep).
    case emptySchedule(scheduler: String, timesteps: Int, begin: Int)
    /// A scheduler configuration file could not be read or decoded.
    case invalidConfigFile(path: String, reason: String)

    /// A one-line explanation naming what is at fault and what is allowed.
    public var description: String { unescapedDescription.escapingControlCharacters }

    /// The message before control characters in quoted names are escaped.
    private var unescapedDescription: String {
        switch self {
        case .unknownSchedulerName(let name, let available):
            return "unknown scheduler '\(name)'; available: \(available.joined(separator: ", "))"
        case .unknownSchedulerClass(let name, let supported):
            return "scheduler class '\(name)' is not implemented; supported: \(supported.joined(separator: ", "))"
        case .missingClassName:
            return "the scheduler configuration has no '_class_name'; choose a scheduler by name"
        case .unsupportedOption(let scheduler, let key, let value, let allowed):
            return "\(scheduler): '\(key)' = \(value) is not supported; allowed: \(allowed.joined(separator: ", "))"
        case .invalidOption(let scheduler, let key, let value, let reason):
            return "\(scheduler): '\(key)' = \(value) is invalid: \(reason)"
        case .invalidStepCount(let scheduler, let steps, let allowed):
            return "\(scheduler): \(steps) inference steps is out of range \(allowed.lowerBound)...\(allowed.upperBound)"
        case .invalidSkippedSteps(let scheduler, let skippedSteps, let steps):
            return "\(scheduler): cannot skip \(skippedSteps) of \(steps) steps; allowed: 0...\(max(0, steps - 1))"
        case .invalidStrength(let strength):
            return "strength \(strength) is out of range 0...1"
        case .noStepsForStrength(let steps, let strength):
            return "strength \(strength) with \(steps) steps leaves no step to run (Int(steps × strength) = 0)"
        case .imageToImageUnsupported(let scheduler):
            return "\(scheduler) does not support image-to-image (a start part-way through the schedule)"
        case .timestepOutOfRange(let scheduler, let timestep, let numTrainTimesteps):
            return "\(scheduler): timestep \(timestep) is outside 0..<\(numTrainTimesteps); check 'steps_offset' and 'timestep_spacing'"
        case .shapeMismatch(let operation, let expected, let actual):
            return "\(operation): expected shape \(expected), got \(actual)"
        case .unexpectedTimestep(let scheduler, let expected, let actual, let stepIndex):
            return "\(scheduler): step \(stepIndex) expects timestep \(expected), got \(actual); pass the scheduler's timesteps in order"
        case .scheduleFinished(let scheduler, let timesteps):
            return "\(scheduler): all \(timesteps) timesteps have been stepped; make a new scheduler for another generation"
        case .timestepNotInSchedule(let scheduler, let timestep):
            return "\(scheduler): timestep \(timestep) is not in the schedule"
        case .emptySchedule(let scheduler, let timesteps, let begin):
            return "\(scheduler): the configuration leaves \(timesteps) timestep\(timesteps == 1 ? "" : "s"), none to run from index \(begin) "
                + "(check lambda_min_clipped, timestep_spacing and the step count)"
        case .invalidConfigFile(let path, let reason):
            return "cannot read scheduler configuration \(path): \(reason)"
        }
    }
}
