/// The memory the compute engine keeps for reuse, and a way to hand it back.
///
/// Freed activation buffers (up to ``cacheLimitBytes``) and the float32 buffers 16-bit weights are
/// widened into (``WideningBuffers``) are kept so the next layer or step does not fault in fresh
/// pages. Between phases that use different sizes (a UNet's denoising loop, then a VAE decode of
/// much larger images) what was kept cannot serve the next phase and only raises the peak, so the
/// pipeline releases it at those boundaries.
public enum ComputeMemory {
    /// The most memory of freed activation buffers kept for reuse; the oldest beyond it go back to the
    /// system. Default 512 MiB, enough for a UNet step's temporaries at 512². Lower it to trade some
    /// speed (page faults on fresh memory) for a lower peak; 0 keeps nothing. Setting it takes effect
    /// at once.
    public static var cacheLimitBytes: Int {
        get { BufferPool.shared.capacityBytes }
        set { BufferPool.shared.capacityBytes = newValue }
    }

    /// Bytes currently kept for reuse and not in use.
    public static var cachedBytes: Int { BufferPool.shared.retainedBytes + WideningBuffers.retainedBytes }

    /// Runs `body` with the kept buffers never adding to the process's size: when no kept buffer
    /// serves a new tensor, kept buffers of at least its size are returned to the system before it is
    /// allocated. Reuse continues for tensors whose size was kept; the peak is that of the live
    /// tensors alone.
    ///
    /// For work whose tensors are few, large and of varied sizes, where what the pool keeps would
    /// otherwise sit beside the live tensors: `VAEDecoder` decodes this way. While a scope is open,
    /// the rule applies to work on other threads too.
    ///
    /// - Parameter body: The work.
    /// - Returns: What `body` returns.
    /// - Throws: What `body` throws.
    public static func withoutGrowingCache<Result, Failure: Error>(
        _ body: () throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try BufferPool.shared.withoutGrowing(body)
    }

    /// Returns every kept buffer that is not in use to the system. Safe at any time: work in progress
    /// keeps its buffers, and later work allocates afresh.
    public static func releaseCachedBuffers() {
        WideningBuffers.release()
        BufferPool.shared.drain()
    }
}
