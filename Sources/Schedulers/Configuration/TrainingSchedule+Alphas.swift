extension TrainingSchedule {
    /// ᾱₜ = ∏ₛ≤ₜ (1 − βₛ) for every training timestep, computed as diffusers and PyTorch do
    /// (Float32 betas, bit for bit; the product accumulated in Double). For schedulers written
    /// outside this library.
    ///
    /// - Returns: `numTrainTimesteps` values, decreasing from about 1.
    /// - Throws: ``SchedulerError/invalidOption(scheduler:key:value:reason:)`` for invalid betas or counts.
    public func alphasCumprod() throws(SchedulerError) -> [Float] {
        try validate(scheduler: "TrainingSchedule")
        return NoiseSchedule(self).alphasCumprod
    }
}
