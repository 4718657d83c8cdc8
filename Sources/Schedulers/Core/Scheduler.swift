/// A sampler that turns noise into a sample over a fixed list of timesteps, one model call per
/// timestep.
///
/// A scheduler is made for one generation by a ``SchedulerConfiguration`` and is stateful: multistep
/// methods keep a history of model outputs, so a new generation needs a new scheduler (which also
/// keeps concurrent generations independent). The denoising loop is:
///
/// ```swift
/// var scheduler = try configuration.makeScheduler(steps: 20)
/// var latents = noise * scheduler.initNoiseSigma
/// for t in scheduler.timesteps {
///     let input = try scheduler.scaleModelInput(latents, timestep: t)
///     let prediction = try model(input, t)
///     latents = try scheduler.step(modelOutput: prediction, timestep: t, sample: latents, random: random).nextSample
/// }
/// ```
///
/// Timesteps are `Double` because some schedulers (Euler, LMS, Heun with `linspace` spacing or
/// Karras sigmas) feed the model fractional timesteps; every built-in scheduler produces exactly the
/// value diffusers feeds the UNet (a Float32 or an integer), so a model that converts the timestep to
/// `Float` sees the same number diffusers' does. Heun and PNDM repeat timesteps.
///
/// Every operation a scheduler may customise is a requirement of this protocol, so a conformer's
/// own implementation is what runs through `any Scheduler`.
public protocol Scheduler: Sendable {
    /// The timesteps this scheduler will step through, in order (for image-to-image, only those that
    /// remain for the strength). Each is passed to the model as its timestep.
    var timesteps: [Double] { get }

    /// The standard deviation of the initial noise: pure noise is multiplied by this before the
    /// first step.
    var initNoiseSigma: Float { get }

    /// Scales the sample before it goes to the model at `timestep` (identity for most schedulers;
    /// `x / √(σ² + 1)` for the sigma-space ones).
    ///
    /// - Parameters:
    ///   - sample: The current sample.
    ///   - timestep: The timestep about to be stepped (the next one in ``timesteps``).
    /// - Returns: The model input.
    /// - Throws: An error if `timestep` is not the one due next or the schedule is finished.
    func scaleModelInput(_ sample: Tensor, timestep: Double) throws -> Tensor

    /// Advances the sample by one timestep given the model's output for it.
    ///
    /// - Parameters:
    ///   - modelOutput: The model's prediction (noise, v or sample, per the configuration), of the
    ///     sample's shape.
    ///   - timestep: The timestep the prediction was made at (the next one in ``timesteps``).
    ///   - sample: The sample the model saw, before ``scaleModelInput(_:timestep:)``.
    ///   - random: The generation's source of noise; stochastic schedulers draw from it, the others
    ///     never touch it.
    /// - Returns: The sample for the next timestep and, where the method computes one, the
    ///   predicted denoised sample.
    /// - Throws: An error if the shapes differ, `timestep` is not the one due next, or the schedule
    ///   is finished.
    mutating func step(modelOutput: Tensor, timestep: Double, sample: Tensor, random: any RandomSource) throws -> SchedulerOutput

    /// Noises a clean sample to the noise level of `timestep` (the forward process), as
    /// image-to-image does before its first step.
    ///
    /// - Parameters:
    ///   - original: The clean sample (for image-to-image, the encoded image latents).
    ///   - noise: Standard normal noise of the same shape.
    ///   - timestep: A timestep of the schedule, usually `timesteps[0]`.
    /// - Returns: The noised sample.
    /// - Throws: An error if the shapes differ or the timestep is not in the schedule.
    func addNoise(to original: Tensor, noise: Tensor, timestep: Double) throws -> Tensor
}

/// What one scheduler step produces.
public struct SchedulerOutput: Sendable {
    /// The sample for the next timestep (diffusers' `prev_sample`, x₍t−1₎); after the last
    /// timestep, the final sample.
    public var nextSample: Tensor
    /// The model's estimate of the fully denoised sample at this step (diffusers'
    /// `pred_original_sample`, or `denoised` for LCM), when the method computes one; useful for
    /// previews.
    public var predictedOriginalSample: Tensor?

    /// Creates a step result.
    /// - Parameters:
    ///   - nextSample: The sample for the next timestep.
    ///   - predictedOriginalSample: The predicted denoised sample, if any.
    public init(nextSample: Tensor, predictedOriginalSample: Tensor? = nil) {
        self.nextSample = nextSample
        self.predictedOriginalSample = predictedOriginalSample
    }
}
