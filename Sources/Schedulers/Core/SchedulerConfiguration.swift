/// A recipe for schedulers: everything but the step count. The pipeline holds an
/// `any SchedulerConfiguration` and makes a fresh ``Scheduler`` for each generation, so an app can
/// bring its own scheduler by conforming a type of its own (see `Documentation/CustomScheduler.md`).
public protocol SchedulerConfiguration: Sendable {
    /// A short human-readable name for logs and progress output (for example "EulerDiscreteScheduler").
    var name: String { get }

    /// Makes a scheduler that runs `steps` inference steps from pure noise (text-to-image).
    ///
    /// - Parameter steps: The number of inference steps (at least 1).
    /// - Returns: A new scheduler, positioned before its first timestep.
    /// - Throws: An error if `steps` is out of range or the configuration is invalid.
    func makeScheduler(steps: Int) throws -> any Scheduler

    /// Makes a scheduler for image-to-image: the schedule of `steps` steps, started part-way so that
    /// only the last `Int(steps × strength)` steps run (as diffusers' img2img pipeline does).
    ///
    /// The scheduler's ``Scheduler/timesteps`` are the remaining ones; noise the encoded image with
    /// ``Scheduler/addNoise(to:noise:timestep:)`` at `timesteps[0]` before the first step.
    ///
    /// - Parameters:
    ///   - steps: The number of steps of the full schedule (at least 1).
    ///   - strength: How much of the schedule to run, in 0…1 (1 starts from pure noise level).
    /// - Returns: A new scheduler, positioned before its first remaining timestep.
    /// - Throws: An error if `steps` or `strength` is out of range or leaves no step to run, or if
    ///   the scheduler does not support image-to-image (the default implementation).
    func makeScheduler(steps: Int, strength: Double) throws -> any Scheduler

    /// diffusers' `scheduler.order`: how many schedule entries (model calls) one step takes — 2 for a
    /// second-order scheduler such as Heun, 1 for the others (the default). A base → refiner hand-over
    /// uses it so that the refiner never starts between the two halves of a step.
    var order: Int { get }
}

extension SchedulerConfiguration {
    /// First order: one model call per step.
    public var order: Int { 1 }

    /// The default: image-to-image is not supported.
    /// - Throws: ``SchedulerError/imageToImageUnsupported(scheduler:)`` always.
    public func makeScheduler(steps: Int, strength: Double) throws -> any Scheduler {
        throw SchedulerError.imageToImageUnsupported(scheduler: name)
    }
}

/// The image-to-image rule of diffusers' `StableDiffusionImg2ImgPipeline.get_timesteps`, for
/// schedulers (built-in or not) that start part-way through their schedule.
public enum ImageToImage {
    /// The number of inference steps to skip for a strength: `steps − min(Int(steps × strength), steps)`.
    ///
    /// Multiply by the scheduler's model calls per step (2 for Heun) to get the index of the first
    /// timestep to run.
    ///
    /// - Parameters:
    ///   - steps: The number of steps of the full schedule.
    ///   - strength: How much of the schedule to run, in 0…1.
    /// - Returns: The number of leading steps to skip.
    /// - Throws: ``SchedulerError/invalidStrength(_:)`` outside 0…1,
    ///   ``SchedulerError/noStepsForStrength(steps:strength:)`` when no step would remain.
    public static func skippedSteps(steps: Int, strength: Double) throws(SchedulerError) -> Int {
        guard strength >= 0, strength <= 1 else { throw .invalidStrength(strength) }
        // Python's int(num_inference_steps * strength): the same Double product, truncated.
        let kept = min(Int(Double(steps) * strength), steps)
        guard kept > 0 else { throw .noStepsForStrength(steps: steps, strength: strength) }
        return steps - kept
    }
}
