import Schedulers

/// A base → refiner hand-over (SDXL's "ensemble of expert denoisers"): the pipeline the parameters are
/// given to denoises the high-noise part of the schedule, and `refiner` (typically the SDXL refiner)
/// continues from the same latents for the rest, within one ``DenoisingSession``.
///
/// It is diffusers 0.42.1's two calls
/// `base(denoising_end=start, output_type="latent")` → `refiner(image=latents, denoising_start=start)`:
/// - the base runs the timesteps `t ≥ cutoff`, `cutoff = round(T − start · T)` (T = the scheduler's
///   `num_train_timesteps`, Python's round-half-even), as `StableDiffusionXLPipeline` does for `denoising_end`;
/// - the refiner makes its own scheduler for the same step count and begins with the first timestep below
///   the cutoff (`StableDiffusionXLImg2ImgPipeline.get_timesteps`; for second-order schedulers (Heun)
///   one more entry, so that it never starts between the two halves of a step); no noise is added;
/// - both use the same prompt, negative prompt, guidance scale and micro-conditioning (the refiner's own
///   conditioner reads what it needs: the aesthetic scores); the refiner's VAE decodes;
/// - one random source runs through both parts (diffusers with one `generator` passed to both calls).
///
/// Not combined with inpainting masks or ControlNets.
public struct Refinement: Sendable {
    /// The pipeline that takes over (the refiner). Its latent space must be the base's (same latent
    /// channels and VAE scaling factor).
    public var refiner: StableDiffusionPipeline
    /// The fraction of the schedule after which the refiner takes over, in the open interval 0…1
    /// (diffusers' `denoising_end` / `denoising_start`; A1111's "Refiner switch at"). 0.8 by default, the
    /// value diffusers' documentation uses.
    public var start: Double
    /// The refiner's sampler; nil uses the refiner's own scheduler configuration.
    public var scheduler: (any SchedulerConfiguration)?

    /// A hand-over to `refiner` at `start`.
    ///
    /// - Parameters:
    ///   - refiner: The pipeline that continues.
    ///   - start: The fraction of the schedule the base runs (0.8 by default).
    ///   - scheduler: The refiner's sampler, or nil for its own.
    public init(refiner: StableDiffusionPipeline, start: Double = 0.8, scheduler: (any SchedulerConfiguration)? = nil) {
        self.refiner = refiner
        self.start = start
        self.scheduler = scheduler
    }
}

/// diffusers' discrete-timestep cut of SDXL's `denoising_end` / `denoising_start`.
enum DenoisingCut {
    /// `int(round(T − fraction · T))`: Python's `round` rounds halves to even.
    static func cutoff(fraction: Double, trainTimesteps: Int) -> Double {
        let total = Double(trainTimesteps)
        return (total - fraction * total).rounded(.toNearestOrEven)
    }

    /// How many of the (descending) timesteps the base runs: those `≥ cutoff`
    /// (`StableDiffusionXLPipeline.__call__`, "8.1 Apply denoising_end").
    static func baseStepCount(timesteps: [Double], cutoff: Double) -> Int {
        timesteps.filter { $0 >= cutoff }.count
    }

    /// The index of the first timestep the refiner runs (`get_timesteps` with `denoising_start`): the
    /// entries below the cutoff, one more for a second-order scheduler when that count is even.
    static func refinerBeginIndex(timesteps: [Double], cutoff: Double, secondOrder: Bool) -> Int {
        var count = timesteps.filter { $0 < cutoff }.count
        if secondOrder && count % 2 == 0 { count += 1 }
        return max(0, timesteps.count - count)
    }

    /// A scheduler of `steps` steps positioned at `beginIndex` of its full schedule.
    ///
    /// Built through ``SchedulerConfiguration/makeScheduler(steps:strength:)`` (which every image-to-image
    /// capable scheduler, an app's own included, implements): `k` skipped steps are the strength
    /// `(steps − k + ½) / steps`, whose `Int(steps × strength)` is `steps − k` with half a step to spare
    /// against rounding. The result is checked against the full schedule's tail.
    static func scheduler(_ configuration: any SchedulerConfiguration, steps: Int, beginIndex: Int,
                          order: Int, full: [Double]) throws(PipelineError) -> any Scheduler {
        guard beginIndex < full.count, beginIndex % order == 0 else {
            throw .invalidParameter(name: "refinement.start", value: "begins at timestep index \(beginIndex) of \(full.count)",
                                    allowed: "a switch point that leaves the refiner at least one step")
        }
        let skipped = beginIndex / order
        let strength = min(1, (Double(steps - skipped) + 0.5) / Double(steps))
        let scheduler = try attributing(to: "refiner scheduler") { try configuration.makeScheduler(steps: steps, strength: strength) }
        guard scheduler.timesteps == Array(full[beginIndex...]) else {
            throw .component(name: "refiner scheduler", message: "\(configuration.name) started at step \(skipped) runs "
                             + "\(scheduler.timesteps), not the tail \(Array(full[beginIndex...])) of its schedule")
        }
        return scheduler
    }
}
